using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Jobs;

public sealed class JobCancellationTests
{
    [Fact]
    public async Task Delete_cancels_a_queued_and_a_running_job_and_their_requests_answer_409()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client();
        using var other = server.Client(GatewayTestServer.OtherKey);
        var running = SubmitAsync(client, Holder("running"));
        await WaitUntilRunningAsync(client, "running", running);
        var queued = SubmitAsync(client, Job("queued"));
        Assert.Equal(1, (await WaitUntilQueuedAsync(client, "queued", queued)).GetProperty("queue_position").GetInt32());

        using var deleteQueued = await client.DeleteAsync("/jobs/queued");
        Assert.Equal(HttpStatusCode.OK, deleteQueued.StatusCode);
        var cancelled = await deleteQueued.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", Status(cancelled));
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("started_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("queue_position").ValueKind);
        using (var answer = await queued)
        {
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Equal("job_cancelled", (await ErrorAsync(answer)).GetProperty("code").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync("/jobs/running")).StatusCode);
        Assert.Equal("running", Status(await GetJobAsync(client, "running")));
        using var deleteRunning = await client.DeleteAsync("/jobs/running");
        Assert.Equal(HttpStatusCode.OK, deleteRunning.StatusCode);
        var stopped = await deleteRunning.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", Status(stopped));
        Assert.Equal(JsonValueKind.String, stopped.GetProperty("started_at").ValueKind);
        Assert.Equal("job_cancelled", stopped.GetProperty("error").GetProperty("code").GetString());
        using (var answer = await running)
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);

        using var again = await client.DeleteAsync("/jobs/running");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("job_finished", (await ErrorAsync(again)).GetProperty("code").GetString());

        // Cancelled jobs are not charged and hold no credits.
        var credits = await client.GetFromJsonAsync<JsonElement>("/credits");
        Assert.Empty(credits.GetProperty("recent").EnumerateArray());
        Assert.Equal(0, credits.GetProperty("reserved").GetDouble());
    }
}
