using System.Security.Cryptography;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;

namespace Gateway.Storage;

/// <summary>
/// Images as files under <c>DataDir/images</c>, named by 128 random bits so that URLs cannot be guessed, with an index
/// in the database (owner, size, age) that retention works from. A file is written and moved into place before its
/// index row is committed, and its URL is handed out only after that commit; so a file without a row was never handed
/// out (the process died in between) and the start-up reconciliation deletes it.
/// </summary>
public sealed class SqliteImageStore : IImageStore
{
    private readonly GatewayDatabase _database;
    private readonly ImageRetentionOptions _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _directory;

    /// <param name="sharedByNodes">Other processes (a cluster's nodes) store images in the same folder: a file the index
    /// lacks may be one they are writing now, so start-up leaves it alone.</param>
    public SqliteImageStore(GatewayDatabase database, ImageRetentionOptions retention, TimeProvider time, ILogger<SqliteImageStore> logger,
        bool sharedByNodes = false)
    {
        _database = database;
        _retention = retention;
        _time = time;
        _logger = logger;
        _directory = DataFolder.Prepare(Path.Combine(database.DataDirectory, "images"), "The images folder");
        if (!sharedByNodes) Reconcile();
    }

    public async Task EnsureWritableAsync()
    {
        EnsureFolder();
        await _database.WriteAsync(write => write.Commit());
    }

    public async Task<StoredImage> SaveAsync(byte[] bytes, ImageFormat format, string owner, GenerationParameters? parameters,
        CancellationToken cancellationToken, Action<SqliteSession, StoredImage>? alongside = null)
    {
        EnsureFolder();
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var fileName = $"{id}.{format.Extension()}";
        var path = Path.Combine(_directory, fileName);
        // Written under a temporary name and moved, so a reader never sees half an image.
        var temporary = path + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
            File.Move(temporary, path);
        }
        catch (Exception e)
        {
            DeleteFile(temporary);
            if (e is IOException or UnauthorizedAccessException) throw Unavailable(e);
            throw;
        }

        var image = new StoredImage(id, fileName, format, owner, _time.GetUtcNow(), bytes.Length) { Parameters = parameters };
        List<string> evicted;
        try
        {
            evicted = await _database.WriteAsync(write =>
            {
                write.Execute("INSERT INTO images (file_name, owner, bytes, created_at, parameters) VALUES ($file, $owner, $bytes, $at, $parameters)",
                    ("$file", fileName), ("$owner", owner), ("$bytes", bytes.LongLength), ("$at", Timestamps.ToText(image.CreatedAt)),
                    ("$parameters", parameters?.ToJson()));
                alongside?.Invoke(write, image);
                var excess = RemoveBeyondTotalSize(write, keep: fileName);
                write.Commit();
                return excess;
            });
        }
        catch
        {
            DeleteFile(path);
            throw;
        }
        DeleteFiles(evicted);
        return image;
    }

    public IReadOnlyList<StoredImage>? History(string owner, int limit, string? afterId)
    {
        using var read = _database.Read();
        string? after = null;
        if (afterId is not null)
        {
            if (afterId.Length != 32 || !afterId.All(char.IsAsciiHexDigitLower)) return null;
            var cursor = read.Query("SELECT created_at, file_name FROM images WHERE owner = $owner AND substr(file_name, 1, 32) = $id",
                r => (At: r.GetString(0), File: r.GetString(1)), ("$owner", owner), ("$id", afterId));
            if (cursor.Count == 0) return null;
            (after, afterId) = cursor[0];
        }
        // Ties on the timestamp are ordered by file name, so paging never skips or repeats an image.
        return read.Query("""
            SELECT file_name, created_at, bytes, parameters FROM images
            WHERE owner = $owner AND ($after IS NULL OR created_at < $after OR (created_at = $after AND file_name < $file))
            ORDER BY created_at DESC, file_name DESC LIMIT $limit
            """,
            r =>
            {
                var fileName = r.GetString(0);
                IsStoredName(fileName, out var format);
                return new StoredImage(fileName[..32], fileName, format, owner, Timestamps.Parse(r.GetString(1)), r.GetInt64(2))
                {
                    Parameters = r.IsDBNull(3) ? null : GenerationParameters.FromJson(r.GetString(3)),
                };
            },
            ("$owner", owner), ("$after", after), ("$file", afterId), ("$limit", limit));
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(e);
        }
    }

    public async Task DeleteAsync(string fileName)
    {
        await _database.WriteAsync(write =>
        {
            write.Execute("DELETE FROM images WHERE file_name = $file", ("$file", fileName));
            write.Commit();
        });
        DeleteFile(Path.Combine(_directory, fileName));
    }

    /// <summary>Removes images past the age limit and, should the size limit have been lowered, the oldest beyond it.
    /// Returns how many were removed.</summary>
    public async Task<int> SweepAsync()
    {
        var cutoff = _retention.MaxAge is { } maxAge ? Timestamps.ToText(_time.GetUtcNow() - maxAge) : null;
        // Decided and deleted inside one write transaction: writes run one at a time, so two never evict the same files.
        var removed = await _database.WriteAsync(write =>
        {
            var old = cutoff is null
                ? []
                : write.Query("SELECT file_name FROM images WHERE created_at < $cutoff", r => r.GetString(0), ("$cutoff", cutoff));
            foreach (var fileName in old) write.Execute("DELETE FROM images WHERE file_name = $file", ("$file", fileName));
            var excess = RemoveBeyondTotalSize(write, keep: null);
            write.Commit();
            return old.Concat(excess).ToList();
        });
        DeleteFiles(removed);
        return removed.Count;
    }

    /// <summary>Drops the index rows of the oldest images until the rest fit the size limit and returns their names;
    /// <paramref name="keep"/> (the image just written) always stays, since its URL is about to be handed out.</summary>
    private List<string> RemoveBeyondTotalSize(SqliteSession write, string? keep)
    {
        if (_retention.MaxTotalBytes is not { } maxBytes) return [];
        // Running total from the newest backwards: everything past the limit is older than what fits.
        var excess = write.Query("""
            SELECT file_name FROM (
                SELECT file_name, SUM(bytes) OVER (ORDER BY created_at DESC, file_name DESC) AS newer_total FROM images)
            WHERE newer_total > $max AND file_name IS NOT $keep
            """, r => r.GetString(0), ("$max", maxBytes), ("$keep", keep));
        foreach (var fileName in excess) write.Execute("DELETE FROM images WHERE file_name = $file", ("$file", fileName));
        return excess;
    }

    private void DeleteFiles(List<string> fileNames)
    {
        if (fileNames.Count == 0) return;
        foreach (var fileName in fileNames) DeleteFile(Path.Combine(_directory, fileName));
        _logger.LogInformation("Retention removed {Count} stored image(s)", fileNames.Count);
    }

    /// <summary>Deletes image files the index lacks (written by a process that died before committing their row, so never
    /// handed out) and half-written temporary files; drops index rows whose files are gone.</summary>
    private void Reconcile()
    {
        var onDisk = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles())
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal)) DeleteFile(file.FullName);
            else if (IsStoredName(file.Name, out _)) onDisk.Add(file.Name);
        }

        var orphans = _database.WriteAsync(write =>
        {
            var indexed = write.Query("SELECT file_name FROM images", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in indexed.Where(name => !onDisk.Contains(name)))
                write.Execute("DELETE FROM images WHERE file_name = $file", ("$file", gone));
            write.Commit();
            return onDisk.Where(name => !indexed.Contains(name)).ToList();
        }).GetAwaiter().GetResult();
        foreach (var orphan in orphans) DeleteFile(Path.Combine(_directory, orphan));
        if (orphans.Count > 0)
            _logger.LogWarning("Deleted {Count} image file(s) that no stored record refers to (written when the server last stopped)", orphans.Count);
    }

    private void EnsureFolder()
    {
        if (!Directory.Exists(_directory))
            throw new StorageUnavailableException($"The images folder '{_directory}' is missing or not a folder; images cannot be stored.");
    }

    private StorageUnavailableException Unavailable(Exception e)
    {
        _logger.LogError("Image storage failed: {Reason}", e.Message);
        return new StorageUnavailableException("The images folder cannot be used; images cannot be stored or served right now.", e);
    }

    private void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still open somewhere (being served) or the folder is broken; the next sweep or start-up tries again.
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
