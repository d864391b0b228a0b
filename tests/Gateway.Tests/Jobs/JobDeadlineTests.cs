using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Jobs;

public sealed class JobDeadlineTests
{
    [Fact]
    public async Task A_job_past_its_deadline_is_stopped_mid_run_answered_504_and_recorded_expired()
    {
        // A fresh server has no run-time estimate, so the engine accepts the job and the deadline cuts it off.
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client();

        using var response = await SubmitAsync(client, Job("late", 1024, 1024, 50, deadline: 0.5));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("deadline_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("deadline", error.GetProperty("param").GetString());

        var job = await GetJobAsync(client, "late");
        Assert.Equal("expired", Status(job));
        Assert.Equal(JsonValueKind.String, job.GetProperty("started_at").ValueKind);
        Assert.InRange(job.GetProperty("progress").GetProperty("step").GetInt32(), 0, 49);
        Assert.Equal(0, job.GetProperty("credits").GetDouble());
        Assert.Equal("deadline_exceeded", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("image_url").ValueKind);
    }

    [Fact]
    public async Task A_job_the_estimate_says_cannot_make_its_deadline_is_refused_at_once_and_not_kept()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client();
        // One finished run gives the engine its estimate of the model's speed.
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(client, Job("warm-up"))).StatusCode);

        var started = DateTime.UtcNow;
        using var response = await SubmitAsync(client, Job("too-big", 2048, 2048, 50, deadline: 2));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), "refused up front, not after waiting");
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("deadline_unreachable", (await ErrorAsync(response)).GetProperty("code").GetString());
        // Nothing ran, so nothing is kept: the same job_id may be sent again.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/jobs/too-big")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(client, Job("too-big"))).StatusCode);
    }
}
