using System.Globalization;
using System.Text.Json.Serialization;
using Gateway.Auth;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;

namespace Gateway.Storage;

/// <summary><c>GET /v1/images/history</c>: the caller's stored images, newest first, with what made each one; a key sees
/// only its own. Paged as OpenAI's lists are: <c>limit</c>, and <c>after</c> the <c>last_id</c> of the page before.</summary>
public static class ImageHistoryEndpoint
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static void MapImageHistory(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/images/history", Handle)
            .RequireApiKey()
            .WithTags("Images")
            .WithName("listImageHistory")
            .WithSummary("The caller's stored images, newest first, each with its URL and parameters")
            .WithDescription("Images stored for this API key (jobs, OpenAI and Hyperbolic requests with response_format url) until " +
                             "retention removes them. Page with limit (1-100, default 20) and after: the last_id of the previous page.")
            .Produces<ImageHistoryPage>()
            .ProducesErrors(400, 401, 503);

    private static ImageHistoryPage Handle(HttpContext context, IImageStore store, ImageUrls urls, string? limit = null, string? after = null)
    {
        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
            throw ApiException.BadRequest("limit", $"'limit' must be an integer from 1 to {MaxLimit}.");
        // One more than asked for tells whether another page follows.
        var images = store.History(context.ClientId(), count + 1, after)
                     ?? throw ApiException.BadRequest("after", $"'after' must be the id of one of this key's stored images; '{after}' is not.");
        var page = images.Take(count).Select(image => new ImageHistoryEntry(
            image.Id,
            urls.For(context.Request, image.FileName),
            image.CreatedAt.ToUnixTimeSeconds(),
            image.Format.Extension(),
            image.Bytes,
            image.Parameters,
            image.Parameters?.ToInfotext())).ToList();
        return new ImageHistoryPage("list", page, images.Count > count, page.Count > 0 ? page[^1].Id : null);
    }
}

/// <summary>One page of <c>GET /v1/images/history</c>.</summary>
public sealed record ImageHistoryPage(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ImageHistoryEntry> Data,
    [property: JsonPropertyName("has_more")] bool HasMore,
    [property: JsonPropertyName("last_id")] string? LastId);

/// <summary>A stored image; <see cref="Parameters"/> (and <see cref="Infotext"/>, the same as A1111's text) are null for
/// images stored before the server kept them.</summary>
public sealed record ImageHistoryEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("output_format")] string OutputFormat,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("parameters")] GenerationParameters? Parameters,
    [property: JsonPropertyName("infotext")] string? Infotext);
