using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Hosting;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>
/// The SQLite database under <c>Gateway:DataDir</c> (<c>gateway.db</c>) holding jobs, the credit ledger and the image
/// index. The schema lives here, in one place, because the stores read across it (a job's image may have been
/// removed by retention). Connections are pooled; each operation opens a short session.
/// </summary>
/// <remarks>
/// Writes run one at a time on a thread of their own (<see cref="WriteAsync{T}"/>), so a database locked by another
/// process holds up that thread, never the thread pool that serves requests. A write waits at most
/// <see cref="BusyTimeout"/> for the lock; after a fault, writes are refused at once for
/// <see cref="StorageUnavailableException.RetryAfter"/> instead of each waiting out the timeout in turn.
/// </remarks>
public sealed class GatewayDatabase : IDisposable
{
    public const string FileName = "gateway.db";

    /// <summary>How long a statement waits for another connection's lock before the request is answered 503.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(2);

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS jobs (
            owner         TEXT    NOT NULL,
            job_id        TEXT    NOT NULL,
            status        TEXT    NOT NULL,
            model         TEXT    NOT NULL,
            width         INTEGER NOT NULL,
            height        INTEGER NOT NULL,
            steps         INTEGER NOT NULL,
            seed          INTEGER NOT NULL,
            priority      INTEGER NOT NULL,
            credits       REAL    NOT NULL,
            progress_step INTEGER NOT NULL DEFAULT 0,
            image_file    TEXT,
            error_message TEXT,
            error_code    TEXT,
            created_at    TEXT    NOT NULL,
            deadline_at   TEXT    NOT NULL,
            started_at    TEXT,
            finished_at   TEXT,
            prompt        TEXT    NOT NULL DEFAULT '',
            PRIMARY KEY (owner, job_id)
        );
        CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);

        CREATE TABLE IF NOT EXISTS ledger (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            owner      TEXT    NOT NULL,
            job_id     TEXT    NOT NULL,
            model      TEXT    NOT NULL,
            width      INTEGER NOT NULL,
            height     INTEGER NOT NULL,
            steps      INTEGER NOT NULL,
            credits    REAL    NOT NULL,
            charged_at TEXT    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ledger_by_owner ON ledger (owner, id);

        CREATE TABLE IF NOT EXISTS images (
            file_name  TEXT    PRIMARY KEY,
            owner      TEXT    NOT NULL,
            bytes      INTEGER NOT NULL,
            created_at TEXT    NOT NULL,
            parameters TEXT
        );
        CREATE INDEX IF NOT EXISTS images_by_age ON images (created_at);
        CREATE INDEX IF NOT EXISTS images_by_owner ON images (owner, created_at);
        """;

    private readonly string _connectionString;
    private readonly BlockingCollection<Action> _writes = new();
    private readonly Thread _writer;
    private long _refuseWritesUntil;

    public GatewayDatabase(string dataDirectory)
    {
        DataDirectory = DataFolder.Prepare(dataDirectory);
        var file = Path.Combine(DataDirectory, FileName);
        if (Directory.Exists(file))
            throw new StartupException($"'{file}' is a folder; it must be the SQLite database file (it is created when missing).");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();

        try
        {
            using var connection = OpenConnection();
            using var setup = connection.CreateCommand();
            // WAL lets readers (GET /jobs, image serving) proceed while a job's result is written; it persists in the file.
            setup.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
            setup.ExecuteNonQuery();
            AddColumnIfMissing(connection, "jobs", "prompt", "TEXT NOT NULL DEFAULT ''");
            AddColumnIfMissing(connection, "images", "parameters", "TEXT");
        }
        catch (Exception e) when (e is SqliteException or StorageUnavailableException)
        {
            throw new StartupException($"Cannot open the database '{file}': {(e.InnerException ?? e).Message}", e);
        }

        _writer = new Thread(RunWrites) { IsBackground = true, Name = "gateway-db-writer" };
        _writer.Start();
    }

    public string DataDirectory { get; }

    /// <summary>A read session on the calling thread; with WAL, readers do not wait for writers.</summary>
    public SqliteSession Read() => new(OpenConnection(), write: false);

    /// <summary>Runs <paramref name="work"/> in a write transaction on the writer thread; nothing is kept unless it calls
    /// <see cref="SqliteSession.Commit"/>. Throws <see cref="StorageUnavailableException"/> when the database cannot be written.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteSession, T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _writes.Add(() => Run(work, done));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            done.SetException(new StorageUnavailableException("The server is stopping; its database is closed."));
        }
        return done.Task;
    }

    public Task WriteAsync(Action<SqliteSession> work) => WriteAsync<bool>(session =>
    {
        work(session);
        return true;
    });

    private void Run<T>(Func<SqliteSession, T> work, TaskCompletionSource<T> done)
    {
        if (Stopwatch.GetTimestamp() < Volatile.Read(ref _refuseWritesUntil))
        {
            done.SetException(new StorageUnavailableException("The database could not be written a moment ago; try again shortly."));
            return;
        }
        try
        {
            using var session = new SqliteSession(OpenConnection(), write: true);
            done.SetResult(work(session));
        }
        catch (StorageUnavailableException e)
        {
            Volatile.Write(ref _refuseWritesUntil, Stopwatch.GetTimestamp() + (long)(StorageUnavailableException.RetryAfter.TotalSeconds * Stopwatch.Frequency));
            done.SetException(e);
        }
        catch (Exception e)
        {
            done.SetException(e);
        }
    }

    private void RunWrites()
    {
        foreach (var write in _writes.GetConsumingEnumerable()) write();
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            // With WAL, NORMAL is durable across application crashes and far cheaper than FULL.
            pragma.CommandText = "PRAGMA synchronous = NORMAL;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch (SqliteException e) when (StorageUnavailableException.IsFault(e))
        {
            connection.Dispose();
            throw StorageUnavailableException.Of(e);
        }
    }

    /// <summary>Finishes the queued writes and closes the pooled connections to this file, so the data folder is free
    /// once the server stops.</summary>
    /// <summary>Brings a database made by an older version up to the schema: CREATE TABLE IF NOT EXISTS leaves an existing
    /// table as it was.</summary>
    private static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string definition)
    {
        using var info = connection.CreateCommand();
        info.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (Convert.ToInt64(info.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0) return;
        using var alter = connection.CreateCommand();
        alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
        alter.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (_writes.IsAddingCompleted) return;
        _writes.CompleteAdding();
        _writer.Join();
        _writes.Dispose();
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
