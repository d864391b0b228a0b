using Gateway.Diffusion.Imaging;

namespace Gateway.Storage;

/// <summary>A stored image; <see cref="FileName"/> is unguessable and is all a URL needs.</summary>
public sealed record StoredImage(string Id, string FileName, ImageFormat Format, string Owner, DateTimeOffset CreatedAt, long Bytes)
{
    /// <summary>The path the images endpoint serves it at.</summary>
    public string UrlPath => "/images/" + FileName;

    /// <summary>The absolute URL of the image as this request reached the server.</summary>
    public string AbsoluteUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{UrlPath}";
}

/// <summary>Where generated images are kept and served from (OpenAI <c>response_format: url</c>, the job API).</summary>
public interface IImageStore
{
    Task<StoredImage> SaveAsync(byte[] bytes, ImageFormat format, string owner, CancellationToken cancellationToken);

    /// <summary>Opens a stored image for reading, or null when there is none by that name.</summary>
    Stream? OpenRead(string fileName, out ImageFormat format);
}
