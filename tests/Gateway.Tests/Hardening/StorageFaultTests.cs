using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Gateway.Tests.Jobs;
using Gateway.Tests.Support;
using Microsoft.Data.Sqlite;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.Hardening;

/// <summary>A database another process has locked and an images folder replaced by a file: 503 (or 404) in seconds,
/// never a 500 or a hang, and recovery once the fault is gone.</summary>
public sealed class StorageFaultTests
{
    private const string UrlRequest = """{"model":"tiny-sd","prompt":"a lighthouse","size":"512x512","response_format":"url"}""";
    private const string Base64Request = """{"model":"tiny-sd","prompt":"a lighthouse","size":"512x512"}""";

    [Fact]
    public async Task A_database_locked_elsewhere_answers_503_with_retry_after_within_seconds_and_healthz_stays_fast()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client();
        var clock = Stopwatch.StartNew();
        using (var holder = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "gateway.db")};Pooling=False"))
        {
            holder.Open();
            // BEGIN IMMEDIATE: the write lock, held as another process would hold it.
            using var transaction = holder.BeginTransaction(deferred: false);

            var submissions = Enumerable.Range(0, 40).Select(i => JobsHttp.SubmitAsync(client, JobsHttp.Job($"locked-{i}"))).ToList();
            var url = client.GenerateAsync(UrlRequest);
            var health = Stopwatch.StartNew();
            using (var healthz = await client.GetAsync("/healthz")) Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            Assert.True(health.Elapsed < TimeSpan.FromSeconds(1), $"/healthz took {health.Elapsed}");

            foreach (var response in (await Task.WhenAll(submissions)).Append(await url))
            {
                await AssertError(response, HttpStatusCode.ServiceUnavailable, null, "storage_unavailable");
                Assert.NotNull(response.Headers.RetryAfter?.Delta);
                response.Dispose();
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The refusals took {clock.Elapsed}");

            // Generations that store nothing are not held up.
            using var base64 = await client.GenerateAsync(Base64Request);
            Assert.Equal(HttpStatusCode.OK, base64.StatusCode);
            transaction.Rollback();
        }

        await Task.Delay(Gateway.Storage.StorageUnavailableException.RetryAfter);
        using var after = await JobsHttp.SubmitAsync(client, JobsHttp.Job("after-the-lock"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        // Refused jobs were not kept: their ids can be sent again.
        using var again = await JobsHttp.SubmitAsync(client, JobsHttp.Job("locked-0"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task An_images_folder_replaced_by_a_file_answers_503_or_404_and_storage_recovers()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client();
        using var stored = await JobsHttp.SubmitAsync(client, JobsHttp.Job("before"));
        var imageUrl = new Uri(await stored.Content.ReadFromJsonAsync<string>() ?? "");

        var images = Path.Combine(server.DataDirectory, "images");
        Directory.Delete(images, recursive: true);
        await File.WriteAllTextAsync(images, "not a folder");

        using (var job = await JobsHttp.SubmitAsync(client, JobsHttp.Job("while-broken")))
            await AssertError(job, HttpStatusCode.ServiceUnavailable, null, "storage_unavailable");
        using (var url = await client.GenerateAsync(UrlRequest))
            await AssertError(url, HttpStatusCode.ServiceUnavailable, null, "storage_unavailable");
        using (var image = await client.GetAsync(imageUrl.PathAndQuery))
        {
            Assert.Contains(image.StatusCode, new[] { HttpStatusCode.ServiceUnavailable, HttpStatusCode.NotFound });
            await ErrorOf(image);
        }
        using (var base64 = await client.GenerateAsync(Base64Request)) Assert.Equal(HttpStatusCode.OK, base64.StatusCode);
        // The refused job is not left queued: GET /jobs does not know it, and its id can be sent again.
        using (var refused = await client.GetAsync("/jobs/while-broken")) Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        File.Delete(images);
        Directory.CreateDirectory(images);
        using var recovered = await JobsHttp.SubmitAsync(client, JobsHttp.Job("while-broken"));
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        using var served = await client.GetAsync(new Uri(await recovered.Content.ReadFromJsonAsync<string>() ?? "").PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
