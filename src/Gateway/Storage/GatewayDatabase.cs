using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>
/// The SQLite database under <c>Gateway:DataDir</c> (<c>gateway.db</c>) holding jobs, the credit ledger and the image
/// index. The schema lives here, in one place, because the stores read across it (a job's image may have been
/// removed by retention). Connections are pooled; each operation opens a short session.
/// </summary>
public sealed class GatewayDatabase : IDisposable
{
    public const string FileName = "gateway.db";

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
            created_at TEXT    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS images_by_age ON images (created_at);
        """;

    private readonly string _connectionString;

    public GatewayDatabase(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(DataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
        }.ToString();

        using var connection = OpenConnection();
        using var setup = connection.CreateCommand();
        // WAL lets readers (GET /jobs, image serving) proceed while a job's result is written; it persists in the file.
        setup.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
        setup.ExecuteNonQuery();
    }

    public string DataDirectory { get; }

    public SqliteSession Read() => new(OpenConnection(), write: false);

    /// <summary>A session inside a transaction; nothing is kept unless <see cref="SqliteSession.Commit"/> is called.</summary>
    public SqliteSession Write() => new(OpenConnection(), write: true);

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // With WAL, NORMAL is durable across application crashes and far cheaper than FULL.
        pragma.CommandText = "PRAGMA synchronous = NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Closes the pooled connections to this file, so the data folder is free once the server stops.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
