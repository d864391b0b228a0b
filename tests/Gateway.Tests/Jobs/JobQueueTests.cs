using System.Net;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Jobs;

/// <summary>
/// Order under load, seen through GET /jobs: a long job holds the worker while the queue is arranged one submission
/// at a time, then DELETE releases it and the queue drains. Each test has a fresh server, so the engine has no run-time
/// estimate yet and takes every job whatever its deadline.
/// </summary>
public sealed class JobQueueTests
{
    [Fact]
    public async Task Higher_priority_runs_first_and_equal_priorities_in_arrival_order()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client();
        var holder = SubmitAsync(client, Holder("hold"));
        await WaitUntilRunningAsync(client, "hold", holder);

        var jobs = new (string Id, int Priority)[] { ("p1-a", 1), ("p5", 5), ("p1-b", 1), ("p3", 3) };
        var submissions = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < jobs.Length; i++)
        {
            submissions.Add(SubmitAsync(client, Job(jobs[i].Id, width: 64 + 8 * i, priority: jobs[i].Priority)));
            await WaitUntilQueuedAsync(client, jobs[i].Id, submissions[^1]);
        }
        string[] expected = ["p5", "p3", "p1-a", "p1-b"];
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(i + 1, (await GetJobAsync(client, expected[i])).GetProperty("queue_position").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/jobs/hold")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await holder).StatusCode);
        foreach (var response in await Task.WhenAll(submissions)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(expected, await StartOrderAsync(client, jobs.Select(j => j.Id)));
    }

    [Fact]
    public async Task Two_keys_at_the_same_priority_take_turns()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var alice = server.Client();
        using var bob = server.Client(GatewayTestServer.OtherKey);
        var holder = SubmitAsync(alice, Holder("hold"));
        await WaitUntilRunningAsync(alice, "hold", holder);

        // Alice floods first; Bob's jobs arrive after all of hers, yet run between them.
        var submissions = new List<Task<HttpResponseMessage>>();
        var size = 64;
        foreach (var (client, id) in new[] { (alice, "a1"), (alice, "a2"), (alice, "a3"), (alice, "a4"), (bob, "b1"), (bob, "b2") })
        {
            submissions.Add(SubmitAsync(client, Job(id, width: size += 8)));
            await WaitUntilQueuedAsync(client, id, submissions[^1]);
        }

        Assert.Equal(HttpStatusCode.OK, (await alice.DeleteAsync("/jobs/hold")).StatusCode);
        await holder;
        foreach (var response in await Task.WhenAll(submissions)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var started = new List<(string Id, DateTimeOffset At)>();
        foreach (var (client, ids) in new[] { (alice, new[] { "a1", "a2", "a3", "a4" }), (bob, new[] { "b1", "b2" }) })
            foreach (var id in ids)
                started.Add((id, DateTimeOffset.Parse((await GetJobAsync(client, id)).GetProperty("started_at").GetString()!)));
        Assert.Equal(["a1", "b1", "a2", "b2", "a3", "a4"], started.OrderBy(s => s.At).Select(s => s.Id));
    }

    private static async Task<List<string>> StartOrderAsync(HttpClient client, IEnumerable<string> ids)
    {
        var started = new List<(string Id, DateTimeOffset At)>();
        foreach (var id in ids)
            started.Add((id, DateTimeOffset.Parse((await GetJobAsync(client, id)).GetProperty("started_at").GetString()!)));
        return started.OrderBy(s => s.At).Select(s => s.Id).ToList();
    }
}
