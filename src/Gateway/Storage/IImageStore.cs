using Gateway.Diffusion.Imaging;

namespace Gateway.Storage;

/// <summary>A stored image; <see cref="FileName"/> is unguessable and is all a URL needs.</summary>
public sealed record StoredImage(string Id, string FileName, ImageFormat Format, string Owner, DateTimeOffset CreatedAt, long Bytes);

/// <summary>Where generated images are kept and served from (OpenAI <c>response_format: url</c>, the job API).</summary>
public interface IImageStore
{
    /// <summary>Throws <see cref="StorageUnavailableException"/> unless an image could be stored now; called before a
    /// generation whose image will be stored, so that broken storage costs no GPU time.</summary>
    Task EnsureWritableAsync();

    /// <summary>Stores the image and indexes it; <paramref name="alongside"/> runs in the same transaction (a job's
    /// final record), so the index never holds an image nothing refers to.</summary>
    Task<StoredImage> SaveAsync(byte[] bytes, ImageFormat format, string owner, CancellationToken cancellationToken,
        Action<SqliteSession, StoredImage>? alongside = null);

    /// <summary>Opens a stored image for reading, or null when there is none by that name.</summary>
    Stream? OpenRead(string fileName, out ImageFormat format);
}
