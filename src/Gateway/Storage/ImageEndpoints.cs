using Gateway.Diffusion.Imaging;
using Gateway.Errors;

namespace Gateway.Storage;

public static class ImageEndpoints
{
    /// <summary>Where stored images are served, followed by their file name.</summary>
    public const string PathPrefix = "/images/";

    /// <summary><c>GET /images/{file}</c>: stored images, public by their unguessable names.</summary>
    public static void MapImageEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet(PathPrefix + "{fileName}", (string fileName, IImageStore store) =>
            store.OpenRead(fileName, out var format) is { } stream
                ? Results.Stream(stream, format.MediaType())
                : throw new ApiException(StatusCodes.Status404NotFound, $"No image named '{fileName}'.", null, "image_not_found"))
            .ExcludeFromDescription();
}
