using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Jobs;
using Gateway.Tests.Support;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Several gateway processes on one real Redis: a node killed with SIGKILL loses no job, one stopped with SIGTERM hands
/// its job over at once, a model served by one node runs there whichever node took the request, a ready node's models
/// are admitted at once, Redis restarted during a run loses nothing, and priority and fairness hold across nodes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests
{
    private const double Grant = 1000;

    [Fact]
    public async Task A_node_killed_while_it_runs_jobs_loses_none_and_each_is_charged_once()
    {
        var credits = new[]
        {
            "--Gateway:Credits:Balances:0:Key", GatewayTestServer.Key, "--Gateway:Credits:Balances:0:Credits", ClusterNodes.Number(Grant),
            "--Gateway:Credits:RecentUsage", "50",
        };
        await using var cluster = await ClusterNodes.StartAsync(credits, credits, credits);
        var ids = Enumerable.Range(0, 30).Select(i => $"kill-{i}").ToList();
        // Round robin across the nodes; sizes differ so that every job is its own run.
        var submissions = ids.Select((id, i) => JobsHttp.SubmitAsync(cluster[i % 3], JobsHttp.Job(id, 512 + 8 * (i % 4), 512, steps: 30, seed: i))).ToList();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await cluster.ClusterAsync(0)).GetProperty("nodes").EnumerateArray()
                   .Any(n => n.GetProperty("name").GetString() == "node1" && n.GetProperty("running").GetInt32() > 0))
        {
            Assert.True(DateTime.UtcNow < deadline, "node1 never ran a job");
            await Task.Delay(20);
        }
        // Every job accepted first: a submission the node had not yet queued when it died is one its client never got
        // an answer for, and may be lost.
        foreach (var id in ids)
            while (true)
            {
                using var known = await cluster[0].GetAsync($"/jobs/{id}");
                if (known.StatusCode == HttpStatusCode.OK) break;
                Assert.True(DateTime.UtcNow < deadline, $"{id} was not queued within 60 s");
                await Task.Delay(20);
            }
        cluster.Kill(1);

        // Node 1's own clients lose their connections; nobody cancelled their jobs, so those complete elsewhere too.
        foreach (var (submission, i) in submissions.Select((s, i) => (s, i)))
        {
            if (i % 3 == 1)
            {
                try
                {
                    (await submission).Dispose();
                }
                catch (HttpRequestException)
                {
                    // The connection to the killed node dropped.
                }
            }
            else
            {
                using var response = await submission;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        var images = new HashSet<string>();
        foreach (var id in ids)
        {
            var job = await WaitForFinalAsync(cluster[2], id);
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.True(images.Add(job.GetProperty("image_url").GetString()!), $"{id} shares its image");
            // Readable from any surviving node, and the image is served by any of them.
            Assert.Equal("succeeded", (await JobsHttp.GetJobAsync(cluster[0], id)).GetProperty("status").GetString());
        }
        using (var image = await cluster[0].GetAsync(new Uri(images.First()).PathAndQuery))
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);

        // Exactly one stored image per job, and one charge per job.
        using var history = await cluster[0].GetFromJsonAsync<JsonDocument>("/v1/images/history?limit=100");
        Assert.Equal(30, history!.RootElement.GetProperty("data").GetArrayLength());
        using var statement = await cluster[2].GetFromJsonAsync<JsonDocument>("/credits");
        var recent = statement!.RootElement.GetProperty("recent").EnumerateArray().Select(e => e.GetProperty("job_id").GetString()).ToList();
        Assert.Equal(ids.Order(), recent.Order());
        var charged = (await Task.WhenAll(ids.Select(id => JobsHttp.GetJobAsync(cluster[0], id)))).Sum(j => j.GetProperty("credits").GetDouble());
        Assert.Equal(charged, statement.RootElement.GetProperty("spent").GetDouble(), 6);
        Assert.Equal(0, statement.RootElement.GetProperty("reserved").GetDouble(), 6);

        // A re-sent job id answers 409, on any node.
        using var again = await JobsHttp.SubmitAsync(cluster[0], JobsHttp.Job(ids[1]));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("duplicate_job_id", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_job_runs_on_the_only_node_that_has_its_model_and_its_images_come_back()
    {
        await using var cluster = await ClusterNodes.StartAsync(["--Gateway:LoadModels", "none"], []);
        using (var job = await JobsHttp.SubmitAsync(cluster[0], JobsHttp.Job("elsewhere", steps: 2)))
            Assert.Equal(HttpStatusCode.OK, job.StatusCode);
        Assert.Equal("succeeded", (await JobsHttp.GetJobAsync(cluster[0], "elsewhere")).GetProperty("status").GetString());

        // A synchronous dialect gets the images themselves back from the node that ran them.
        using var openAi = await cluster[0].PostAsJsonAsync("/v1/images/generations",
            new { model = JobsHttp.Model, prompt = "a lighthouse", size = "512x512", response_format = "b64_json", seed = 7 });
        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
        using var body = await JsonDocument.ParseAsync(await openAi.Content.ReadAsStreamAsync());
        var png = Convert.FromBase64String(body.RootElement.GetProperty("data")[0].GetProperty("b64_json").GetString()!);
        Assert.Equal(0x89, png[0]);

        // Node 0 never loaded it: the work was node 1's.
        using var ready = await cluster[0].GetFromJsonAsync<JsonDocument>("/readyz");
        Assert.All(ready!.RootElement.GetProperty("models").EnumerateArray(), m => Assert.Equal("notloaded", m.GetProperty("state").GetString()));
        Assert.Equal("reachable", ready.RootElement.GetProperty("redis").GetString());
    }

    [Fact]
    public async Task A_node_ready_for_a_model_has_announced_it_so_a_request_sent_at_once_is_admitted()
    {
        // Heartbeats far apart (as far as the tests' 2 s lease allows): the model must be announced when it finishes
        // loading, and /readyz must wait for that.
        await using var cluster = await ClusterNodes.StartAsync(["--Gateway:Cluster:HeartbeatSeconds", "6"]);
        using var job = await JobsHttp.SubmitAsync(cluster[0], JobsHttp.Job("at-once", steps: 2));
        Assert.Equal(HttpStatusCode.OK, job.StatusCode);
        var nodes = (await cluster.ClusterAsync(0)).GetProperty("nodes");
        Assert.Contains(nodes.EnumerateArray().Single().GetProperty("models").EnumerateArray(), m => m.GetString() == JobsHttp.Model);
    }

    [Fact]
    public async Task A_node_stopped_gracefully_hands_its_running_job_to_another_at_once_not_at_lease_expiry()
    {
        // Leases of a minute: only the stopping node giving its job back lets the other worker run it within the wait
        // below. The request goes to an api-only node, which stays.
        string[] settings = ["--Gateway:Cluster:LeaseSeconds", "60", "--Logging:LogLevel:Gateway.Redis.ClusterWorker", "Information"];
        await using var cluster = await ClusterNodes.StartAsync([.. settings, "--Gateway:Role", "api"], settings, settings);
        var submission = JobsHttp.SubmitAsync(cluster[0], JobsHttp.Job("handover", 1536, 1536, steps: 50));
        await JobsHttp.WaitUntilRunningAsync(cluster[0], "handover", submission);
        var runner = await RunnerAsync(cluster);
        var stopped = Stopwatch.StartNew();

        Assert.Equal(0, await cluster.StopAsync(runner));
        var log = cluster.Log(runner);
        Assert.True(log.Contains("Queued 1 running job(s) again", StringComparison.Ordinal),
            $"node{runner} did not give the job back; job: {await JobsHttp.GetJobAsync(cluster[0], "handover")}; its log:\n{log}");
        using var response = await submission;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await JobsHttp.GetJobAsync(cluster[0], "handover");
        Assert.Equal("succeeded", JobsHttp.Status(job));
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(45), $"the job ended {stopped.Elapsed} after its node stopped");
    }

    /// <summary>The node whose heartbeat says it runs a job.</summary>
    private static async Task<int> RunnerAsync(ClusterNodes cluster)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var nodes = (await cluster.ClusterAsync(0)).GetProperty("nodes").EnumerateArray()
                .Where(n => n.GetProperty("running").GetInt32() > 0).Select(n => n.GetProperty("name").GetString()).ToList();
            if (nodes is [{ } name]) return int.Parse(name["node".Length..], CultureInfo.InvariantCulture);
            Assert.True(DateTime.UtcNow < deadline, "no node reported the running job");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Redis_restarted_during_a_run_loses_no_job()
    {
        await using var cluster = await ClusterNodes.StartAsync([], []);
        var ids = Enumerable.Range(0, 6).Select(i => $"restart-{i}").ToList();
        var submissions = ids.Select((id, i) => JobsHttp.SubmitAsync(cluster[i % 2], JobsHttp.Job(id, 256 + 8 * i, 256, steps: 20))).ToList();
        // Accepted first: a request that reaches a node while Redis is down is refused (503), which loses nothing.
        foreach (var id in ids) await WaitUntilKnownAsync(cluster[0], id);
        await cluster.Redis.RestartAsync(TimeSpan.FromSeconds(2));

        foreach (var submission in submissions)
        {
            using var response = await submission;
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }
        foreach (var id in ids) Assert.Equal("succeeded", (await WaitForFinalAsync(cluster[1], id)).GetProperty("status").GetString());
        using var ready = await cluster[0].GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Priority_and_fairness_between_keys_hold_across_nodes()
    {
        // One worker, and two nodes that only take requests.
        await using var cluster = await ClusterNodes.StartAsync([], ["--Gateway:Role", "api"], ["--Gateway:Role", "api"]);
        using var bob = cluster.ClientOf(2, GatewayTestServer.OtherKey);
        var holder = JobsHttp.SubmitAsync(cluster[0], JobsHttp.Holder("holder"));
        await JobsHttp.WaitForAsync(cluster[1], "holder", holder, job => job.GetProperty("status").GetString() == "running");

        var submissions = new List<Task<HttpResponseMessage>>();
        async Task QueueAsync(HttpClient client, string id, int width, int priority)
        {
            submissions.Add(JobsHttp.SubmitAsync(client, JobsHttp.Job(id, width, 64, steps: 2, priority: priority, deadline: 300)));
            await WaitUntilKnownAsync(client, id);
        }
        await QueueAsync(cluster[1], "alice-1", 64, 1);
        await QueueAsync(cluster[2], "alice-2", 72, 1);
        await QueueAsync(cluster[1], "alice-3", 80, 1);
        await QueueAsync(bob, "bob-1", 88, 1);
        await QueueAsync(cluster[2], "alice-urgent", 96, 5);
        Assert.Equal(5, (await cluster.ClusterAsync(1)).GetProperty("waiting").GetInt32());

        using (var cancel = await cluster[2].DeleteAsync("/jobs/holder")) Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        foreach (var submission in submissions) (await submission).Dispose();
        (await holder).Dispose();

        var started = new List<(string Id, DateTimeOffset At)>();
        foreach (var (client, id) in new[] { (cluster[1], "alice-1"), (cluster[1], "alice-2"), (cluster[1], "alice-3"), (bob, "bob-1"), (cluster[1], "alice-urgent") })
        {
            var job = await WaitForFinalAsync(client, id);
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            started.Add((id, DateTimeOffset.Parse(job.GetProperty("started_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
        }
        Assert.Equal(["alice-urgent", "alice-1", "bob-1", "alice-2", "alice-3"], started.OrderBy(s => s.At).Select(s => s.Id));
    }

    private static async Task WaitUntilKnownAsync(HttpClient client, string jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync($"/jobs/{jobId}");
            if (response.StatusCode == HttpStatusCode.OK) return;
            Assert.True(DateTime.UtcNow < deadline, $"{jobId} was never queued");
            await Task.Delay(20);
        }
    }

    private static async Task<JsonElement> WaitForFinalAsync(HttpClient client, string jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            using var response = await client.GetAsync($"/jobs/{jobId}");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var job = JsonDocument.Parse(body).RootElement.Clone();
                if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled" or "expired") return job;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Job {jobId} did not end within 120 s; last answer {(int)response.StatusCode} {body}");
            await Task.Delay(100);
        }
    }
}

/// <summary>The cluster tests start several server processes each; run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}
