using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gateway.Tests.Jobs;
using Gateway.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Gateway.Tests.Hardening;

/// <summary>kill -9 while jobs are generating, encoding and storing: after the next start, every image file is indexed
/// with its owner and every indexed image belongs to a succeeded job.</summary>
public sealed class KillDuringWritesTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("gateway-kill-").FullName;

    [Fact]
    public async Task A_kill_during_a_stream_of_jobs_leaves_no_orphan_image_and_no_empty_owner()
    {
        var finished = 0;
        using (var gateway = GatewayProcess.Start(_data))
        {
            var address = await gateway.ReadyAsync();
            using var client = new HttpClient { BaseAddress = address };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayTestServer.Key);
            using var stop = new CancellationTokenSource();
            var loops = Enumerable.Range(0, 4).Select(loop => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var response = await client.PostAsJsonAsync("/submit_job", JobsHttp.Job($"k{loop}-{i}", steps: 1), stop.Token);
                        if (response.IsSuccessStatusCode) Interlocked.Increment(ref finished);
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        // The kill ends every request in flight.
                    }
                }
            })).ToList();
            // Kill once a good number of jobs have gone through, so the kill lands in the middle of the stream.
            while (Volatile.Read(ref finished) < 12) await Task.Delay(10);
            gateway.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(loops);
        }

        // The next start reconciles the folder with the index.
        await using (var restarted = await GatewayTestServer.StartAsync(dataDirectory: _data)) { }

        var files = Directory.EnumerateFiles(Path.Combine(_data, "images")).Select(Path.GetFileName).ToHashSet();
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "gateway.db")};Pooling=False");
        connection.Open();
        var indexed = Rows(connection, "SELECT file_name, owner FROM images");
        var jobImages = Rows(connection, "SELECT image_file, status FROM jobs WHERE image_file IS NOT NULL");

        Assert.True(indexed.Count >= 12, $"only {indexed.Count} images were stored");
        Assert.Equal(files.Order(), indexed.Select(row => row.A).Order());
        Assert.All(indexed, row => Assert.Equal(GatewayTestServerKeyId, row.B));
        Assert.Equal(indexed.Select(row => row.A).Order(), jobImages.Select(row => row.A).Order());
        Assert.All(jobImages, row => Assert.Equal("succeeded", row.B));
    }

    private static readonly string GatewayTestServerKeyId = Gateway.Auth.ApiKeyRegistry.ClientIdOf(GatewayTestServer.Key);

    private static List<(string A, string B)> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string)>();
        while (reader.Read()) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
