using System.Security.Cryptography;
using Gateway.Diffusion.Imaging;

namespace Gateway.Storage;

/// <summary>
/// Images as files under <c>DataDir/images</c>, named by 128 random bits so that URLs cannot be guessed, with an index
/// in the database (owner, size, age) that retention works from. The files are the truth for serving; the index is
/// reconciled with them at start-up, so a crash between writing a file and indexing it loses nothing.
/// </summary>
public sealed class SqliteImageStore : IImageStore
{
    private readonly GatewayDatabase _database;
    private readonly ImageRetentionOptions _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _directory;
    // Removal decisions read the index and then delete; one at a time, so two writers never both evict the same files.
    private readonly Lock _removal = new();

    public SqliteImageStore(GatewayDatabase database, ImageRetentionOptions retention, TimeProvider time, ILogger<SqliteImageStore> logger)
    {
        _database = database;
        _retention = retention;
        _time = time;
        _logger = logger;
        _directory = Path.Combine(database.DataDirectory, "images");
        Directory.CreateDirectory(_directory);
        Reconcile();
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

        var createdAt = _time.GetUtcNow();
        using (var write = _database.Write())
        {
            write.Execute("INSERT INTO images (file_name, owner, bytes, created_at) VALUES ($file, $owner, $bytes, $at)",
                ("$file", fileName), ("$owner", owner), ("$bytes", bytes.LongLength), ("$at", Timestamps.ToText(createdAt)));
            write.Commit();
        }
        EnforceTotalSize(keep: fileName);
        return new StoredImage(id, fileName, format, owner, createdAt, bytes.Length);
    }

    public Stream? OpenRead(string fileName, out ImageFormat format)
    {
        if (!IsStoredName(fileName, out format)) return null;
        try
        {
            return File.OpenRead(Path.Combine(_directory, fileName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Removes images past the age limit and, should the size limit have been lowered, the oldest beyond it.
    /// Returns how many were removed.</summary>
    public int Sweep()
    {
        var removed = 0;
        if (_retention.MaxAge is { } maxAge)
        {
            var cutoff = Timestamps.ToText(_time.GetUtcNow() - maxAge);
            lock (_removal)
            {
                using var read = _database.Read();
                removed += Remove(read.Query("SELECT file_name FROM images WHERE created_at < $cutoff", r => r.GetString(0), ("$cutoff", cutoff)));
            }
        }
        return removed + EnforceTotalSize(keep: null);
    }

    /// <summary>Removes the oldest images until the rest fit the size limit; <paramref name="keep"/> (the image just
    /// written) always stays, since its URL is about to be handed out.</summary>
    private int EnforceTotalSize(string? keep)
    {
        if (_retention.MaxTotalBytes is not { } maxBytes) return 0;
        lock (_removal)
        {
            using var read = _database.Read();
            // Running total from the newest backwards: everything past the limit is older than what fits.
            var excess = read.Query("""
                SELECT file_name FROM (
                    SELECT file_name, SUM(bytes) OVER (ORDER BY created_at DESC, file_name DESC) AS newer_total FROM images)
                WHERE newer_total > $max AND file_name IS NOT $keep
                """, r => r.GetString(0), ("$max", maxBytes), ("$keep", keep));
            return Remove(excess);
        }
    }

    private int Remove(List<string> fileNames)
    {
        if (fileNames.Count == 0) return 0;
        using (var write = _database.Write())
        {
            foreach (var fileName in fileNames)
                write.Execute("DELETE FROM images WHERE file_name = $file", ("$file", fileName));
            write.Commit();
        }
        foreach (var fileName in fileNames) DeleteFile(Path.Combine(_directory, fileName));
        _logger.LogInformation("Retention removed {Count} stored image(s)", fileNames.Count);
        return fileNames.Count;
    }

    /// <summary>Indexes image files the index lacks (a crash after writing, or a store from before the index) and drops
    /// index rows whose files are gone; deletes half-written temporary files.</summary>
    private void Reconcile()
    {
        var onDisk = new Dictionary<string, FileInfo>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles())
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal)) DeleteFile(file.FullName);
            else if (IsStoredName(file.Name, out _)) onDisk[file.Name] = file;
        }

        using var write = _database.Write();
        var indexed = write.Query("SELECT file_name FROM images", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in indexed.Where(name => !onDisk.ContainsKey(name)))
            write.Execute("DELETE FROM images WHERE file_name = $file", ("$file", gone));
        foreach (var (name, file) in onDisk.Where(pair => !indexed.Contains(pair.Key)))
        {
            write.Execute("INSERT INTO images (file_name, owner, bytes, created_at) VALUES ($file, '', $bytes, $at)",
                ("$file", name), ("$bytes", file.Length), ("$at", Timestamps.ToText(file.LastWriteTimeUtc)));
        }
        write.Commit();
    }

    private void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            // Still open somewhere (being served); the next sweep or start-up tries again.
            _logger.LogWarning("Could not delete {File}: {Reason}", Path.GetFileName(path), e.Message);
        }
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
