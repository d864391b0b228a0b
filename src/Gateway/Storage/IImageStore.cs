using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Storage;

/// <summary>A stored image; <see cref="FileName"/> is unguessable and is all a URL needs.</summary>
public sealed record StoredImage(string Id, string FileName, ImageFormat Format, string Owner, DateTimeOffset CreatedAt, long Bytes)
{
    /// <summary>What made the image; null for images stored before parameters were kept.</summary>
    public GenerationParameters? Parameters { get; init; }
}

/// <summary>Where generated images are kept and served from (OpenAI <c>response_format: url</c>, the job API).</summary>
public interface IImageStore
{
    /// <summary>Throws <see cref="StorageUnavailableException"/> unless an image could be stored now; called before a
    /// generation whose image will be stored, so that broken storage costs no GPU time.</summary>
    Task EnsureWritableAsync();

    /// <summary>Stores the image and indexes it with its <paramref name="parameters"/>; <paramref name="alongside"/> runs in the
    /// same transaction (a job's final record), so the index never holds an image nothing refers to.</summary>
    Task<StoredImage> SaveAsync(byte[] bytes, ImageFormat format, string owner, GenerationParameters? parameters, CancellationToken cancellationToken,
        Action<SqliteSession, StoredImage>? alongside = null);

    /// <summary><paramref name="owner"/>'s stored images, newest first: at most <paramref name="limit"/> of them, older than the
    /// image <paramref name="afterId"/> when it is given; null when <paramref name="afterId"/> is not one of the owner's images.</summary>
    IReadOnlyList<StoredImage>? History(string owner, int limit, string? afterId);

    /// <summary>Removes a stored image and its index row (one nothing refers to: its job was finished by another node).</summary>
    Task DeleteAsync(string fileName);

    /// <summary>Opens a stored image for reading, or null when there is none by that name.</summary>
    Stream? OpenRead(string fileName, out ImageFormat format);
}
