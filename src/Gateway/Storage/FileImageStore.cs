using System.Security.Cryptography;
using Gateway.Diffusion.Imaging;

namespace Gateway.Storage;

/// <summary>Images as files under <c>DataDir/images</c>, named by 128 random bits so that URLs cannot be guessed.</summary>
public sealed class FileImageStore : IImageStore
{
    private readonly string _directory;

    public FileImageStore(string dataDirectory)
    {
        _directory = Path.Combine(Path.GetFullPath(dataDirectory), "images");
        Directory.CreateDirectory(_directory);
    }

    public async Task<StoredImage> SaveAsync(byte[] bytes, ImageFormat format, string owner, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var fileName = $"{id}.{format.Extension()}";
        var path = Path.Combine(_directory, fileName);
        // Written under a temporary name and moved, so a reader never sees half an image.
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        File.Move(temporary, path);
        return new StoredImage(id, fileName, format, owner, DateTimeOffset.UtcNow, bytes.Length);
    }

    public Stream? OpenRead(string fileName, out ImageFormat format)
    {
        format = default;
        if (!IsStoredName(fileName, out format)) return null;
        var path = Path.Combine(_directory, fileName);
        return File.Exists(path) ? File.OpenRead(path) : null;
    }

    /// <summary>Only names this store makes (32 hex digits and a known extension): nothing else reaches the file system.</summary>
    private static bool IsStoredName(string fileName, out ImageFormat format)
    {
        format = default;
        var dot = fileName.IndexOf('.');
        return dot == 32 && fileName[..dot].All(char.IsAsciiHexDigitLower) && ImageFormats.TryParse(fileName[(dot + 1)..], out format)
               && fileName[(dot + 1)..] == format.Extension();
    }
}
