using Gateway.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Tests.Storage;

public sealed class DatabaseUpgradeTests
{
    [Fact]
    public void A_database_from_before_the_prompt_column_gets_it_and_keeps_its_jobs()
    {
        var dir = Directory.CreateTempSubdirectory("gateway-upgrade-").FullName;
        try
        {
            var file = Path.Combine(dir, GatewayDatabase.FileName);
            using (var old = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                old.Open();
                using var create = old.CreateCommand();
                // The jobs table as the previous version created it.
                create.CommandText = """
                    CREATE TABLE jobs (owner TEXT NOT NULL, job_id TEXT NOT NULL, status TEXT NOT NULL, model TEXT NOT NULL,
                        width INTEGER NOT NULL, height INTEGER NOT NULL, steps INTEGER NOT NULL, seed INTEGER NOT NULL,
                        priority INTEGER NOT NULL, credits REAL NOT NULL, progress_step INTEGER NOT NULL DEFAULT 0, image_file TEXT,
                        error_message TEXT, error_code TEXT, created_at TEXT NOT NULL, deadline_at TEXT NOT NULL, started_at TEXT,
                        finished_at TEXT, PRIMARY KEY (owner, job_id));
                    INSERT INTO jobs VALUES ('k', 'j1', 'succeeded', 'tiny-sd', 64, 64, 2, 1, 1, 0.1, 2, NULL, NULL, NULL,
                        '2026-12-01T00:00:00.000Z', '2026-12-01T00:01:00.000Z', NULL, '2026-12-01T00:00:01.000Z');
                    """;
                create.ExecuteNonQuery();
            }

            using (new GatewayDatabase(dir)) { }

            using var check = new SqliteConnection($"Data Source={file};Pooling=False");
            check.Open();
            using var query = check.CreateCommand();
            query.CommandText = "SELECT job_id, prompt FROM jobs";
            using var reader = query.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(("j1", ""), (reader.GetString(0), reader.GetString(1)));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_database_from_before_the_parameters_column_gets_it_and_keeps_its_images()
    {
        var dir = Directory.CreateTempSubdirectory("gateway-upgrade-").FullName;
        try
        {
            var file = Path.Combine(dir, GatewayDatabase.FileName);
            using (var old = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                old.Open();
                using var create = old.CreateCommand();
                // The images table as the previous version created it.
                create.CommandText = """
                    CREATE TABLE images (file_name TEXT PRIMARY KEY, owner TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL);
                    INSERT INTO images VALUES ('0123456789abcdef0123456789abcdef.png', 'k', 10, '2026-12-01T00:00:00.000Z');
                    """;
                create.ExecuteNonQuery();
            }

            using (new GatewayDatabase(dir)) { }

            using var check = new SqliteConnection($"Data Source={file};Pooling=False");
            check.Open();
            using var query = check.CreateCommand();
            query.CommandText = "SELECT file_name, parameters IS NULL FROM images";
            using var reader = query.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(("0123456789abcdef0123456789abcdef.png", true), (reader.GetString(0), reader.GetBoolean(1)));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
