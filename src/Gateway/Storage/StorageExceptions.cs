using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>The database or the images folder cannot be used right now (locked by another process, full, unreadable,
/// replaced by something else): answered 503 <c>storage_unavailable</c> with <see cref="RetryAfter"/>.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>How long the database refuses writes after a fault before it tries again; what clients are told to wait.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>SQLite results that say the file cannot be used now, as opposed to a mistake in a statement.</summary>
    public static bool IsFault(SqliteException e) => e.SqliteErrorCode is
        3 /* PERM */ or 5 /* BUSY */ or 6 /* LOCKED */ or 7 /* NOMEM */ or 8 /* READONLY */ or 10 /* IOERR */ or 11 /* CORRUPT */ or
        13 /* FULL */ or 14 /* CANTOPEN */ or 15 /* PROTOCOL */ or 26 /* NOTADB */;

    public static StorageUnavailableException Of(SqliteException e) =>
        new(e.SqliteErrorCode is 5 or 6
            ? "The database is locked by another process; try again shortly."
            : $"The database cannot be used: {e.Message}", e);
}
