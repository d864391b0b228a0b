using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Jobs;
using Gateway.Tests.Support;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Following and stopping a job from a node other than the one that took it and the one that runs it: events over
/// SSE, DELETE, the client's disconnect; and the delivery limit for a job whose every node died.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterJobControlTests
{
    [Fact]
    public async Task Any_node_follows_cancels_and_sees_the_disconnect_of_a_job_taken_by_one_and_run_by_another()
    {
        // Node 0 takes requests only; node 1 runs them; node 2 serves the APIs and has no model.
        await using var cluster = await ClusterNodes.StartAsync([.. LongDeadlines, "--Gateway:Role", "api"], LongDeadlines,
            [.. LongDeadlines, "--Gateway:LoadModels", "none"]);

        // Events: subscribed on node 2 before the job exists anywhere.
        var subscribing = cluster[2].SendAsync(new HttpRequestMessage(HttpMethod.Get, "/jobs/followed/events"),
            HttpCompletionOption.ResponseHeadersRead);
        await Task.Delay(200);
        var submitted = JobsHttp.SubmitAsync(cluster[0], JobsHttp.Job("followed", steps: 3));
        using var stream = await subscribing;
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using (var job = await submitted) Assert.Equal(HttpStatusCode.OK, job.StatusCode);
        using var reader = new SseReader(await stream.Content.ReadAsStreamAsync());
        var events = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var types = events.Select(e => e.Type).ToList();
        Assert.Contains("started", types);
        Assert.Equal(3, types.Count(t => t == "step"));
        Assert.Equal("finished", types[^1]);
        // The same image, at the address of the node that was asked (each builds URLs from its request's host).
        Assert.Equal(new Uri((await JobsHttp.GetJobAsync(cluster[1], "followed")).GetProperty("image_url").GetString()!).AbsolutePath,
            new Uri(events[^1].Json.GetProperty("url").GetString()!).AbsolutePath);

        // DELETE on node 2 stops the job running on node 1; node 0's waiting request answers 409 job_cancelled.
        var held = JobsHttp.SubmitAsync(cluster[0], Holder("deleted"));
        await WaitForStatusAsync(cluster[2], "deleted", "running", held);
        using (var delete = await cluster[2].DeleteAsync("/jobs/deleted"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.Equal("cancelled", (await delete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }
        using (var answer = await held)
        {
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Contains("job_cancelled", await answer.Content.ReadAsStringAsync());
        }
        using (var again = await cluster[1].DeleteAsync("/jobs/deleted"))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // The client leaving node 0 cancels the job on node 1.
        // It waits behind a job that holds the worker.
        var holding = JobsHttp.SubmitAsync(cluster[0], Holder("holding"));
        await WaitForStatusAsync(cluster[2], "holding", "running", holding);
        using (var client = new HttpClient { BaseAddress = cluster[0].BaseAddress })
        {
            client.DefaultRequestHeaders.Authorization = cluster[0].DefaultRequestHeaders.Authorization;
            using var disconnecting = new CancellationTokenSource();
            var request = client.PostAsJsonAsync("/submit_job", Holder("disconnected"), disconnecting.Token);
            await WaitForStatusAsync(cluster[2], "disconnected", "queued");
            await disconnecting.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }
        var disconnected = await WaitForStatusAsync(cluster[1], "disconnected", "cancelled");
        Assert.Equal(0, disconnected.GetProperty("credits").GetDouble());
        using (var delete = await cluster[1].DeleteAsync("/jobs/holding")) Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        using (var answer = await holding) Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
    }

    [Fact]
    public async Task A_job_whose_every_delivery_died_fails_with_the_delivery_limit()
    {
        // One start allowed; node 1 has no model, so only node 0 can run the job, and node 1 takes the lease over.
        await using var cluster = await ClusterNodes.StartAsync([.. LongDeadlines, "--Gateway:Cluster:MaxDeliveries", "1"],
            [.. LongDeadlines, "--Gateway:Cluster:MaxDeliveries", "1", "--Gateway:LoadModels", "none"]);
        var held = JobsHttp.SubmitAsync(cluster[1], Holder("doomed"));
        await WaitForStatusAsync(cluster[1], "doomed", "running", held);
        cluster.Kill(0);

        var job = await WaitForStatusAsync(cluster[1], "doomed", "failed");
        Assert.Equal("delivery_limit", job.GetProperty("error").GetProperty("code").GetString());
        using var answer = await held;
        Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
        Assert.Contains("delivery_limit", await answer.Content.ReadAsStringAsync());
    }

    /// <summary>A job that holds its worker for many seconds (tests end it with DELETE). Its deadline is a day (the nodes
    /// allow it, <see cref="LongDeadlines"/>): a tiny job run before it makes the first cost estimate of a large one far
    /// too high, on a loaded machine beyond the default maximum of an hour.</summary>
    private static Dictionary<string, object?> Holder(string jobId) => JobsHttp.Job(jobId, 2048, 2048, 50, deadline: 86400);

    private static readonly string[] LongDeadlines = ["--Gateway:Jobs:MaxDeadlineSeconds", "86400"];

    /// <summary>Polls the job until it has <paramref name="status"/> (60 s at most); fails at once with the answer when
    /// <paramref name="submission"/> ends first (the job was refused, say).</summary>
    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string jobId, string status,
        Task<HttpResponseMessage>? submission = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await client.GetAsync($"/jobs/{jobId}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var job = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (job.GetProperty("status").GetString() == status) return job;
            }
            if (submission is { IsCompleted: true })
            {
                var answer = await submission;
                Assert.Fail($"Job '{jobId}' ended before it was {status}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} was not {status} within 60 s.");
            await Task.Delay(50);
        }
    }
}
