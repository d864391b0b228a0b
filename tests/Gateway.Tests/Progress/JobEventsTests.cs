using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;
using Holders = Gateway.Tests.Progress.ProgressServer;
using static Gateway.Tests.Progress.EventStreams;

namespace Gateway.Tests.Progress;

/// <summary><c>GET /jobs/{id}/events</c> over real HTTP: the contract's event shapes and order, previews, resuming,
/// owner isolation, the heartbeat, and jobs of the OpenAI dialect named by <c>X-Job-Id</c>.</summary>
public sealed class JobEventsTests(ProgressServer fixture) : IClassFixture<ProgressServer>
{
    private GatewayTestServer Server => fixture.Server;

    [Fact]
    public async Task A_queued_job_streams_queued_started_each_step_with_previews_then_finished()
    {
        using var client = Server.Client();
        // A finished run gives the model a cost estimate, so the queue can tell a wait.
        using (var warm = await SubmitAsync(client, Job("ev-warm", steps: 1))) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        var holder = SubmitAsync(client, Holders.Holder("ev-holder"));
        await WaitUntilRunningAsync(client, "ev-holder", holder);

        // Subscribed before the job exists: the server waits for it.
        var opening = OpenAsync(client, "ev-a", preview: true);
        var submission = SubmitAsync(client, Job("ev-a", 128, 128, 3, deadline: 1000000));
        using var response = await opening;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = await ReaderAsync(response);

        var queued = (await reader.NextAsync())!;
        Assert.Equal(("1", "queued"), (queued.Id, queued.Type));
        Assert.Equal("queued", queued.Json.GetProperty("type").GetString());
        Assert.Equal("ev-a", queued.Json.GetProperty("job_id").GetString());
        Assert.Equal(1, queued.Json.GetProperty("position").GetInt32());
        Assert.Equal(JsonValueKind.Number, queued.Json.GetProperty("eta_seconds").ValueKind);
        var view = await GetJobAsync(client, "ev-a");
        Assert.Equal(1, view.GetProperty("queue_position").GetInt32());
        Assert.True(view.GetProperty("eta_seconds").GetDouble() >= 0);

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/jobs/ev-holder")).StatusCode);
        var rest = await reader.ReadToEndAsync();
        Assert.Equal(["started", "step", "step", "step", "finished"], rest.Select(e => e.Type));
        Assert.Equal(["2", "3", "4", "5", "6"], rest.Select(e => e.Id));
        Assert.All(rest, e => Assert.Equal(e.Type, e.Json.GetProperty("type").GetString()));
        Assert.All(rest, e => Assert.Equal("ev-a", e.Json.GetProperty("job_id").GetString()));
        var steps = rest.Where(e => e.Type == "step").Select(e => e.Json).ToList();
        Assert.Equal([1, 2, 3], steps.Select(s => s.GetProperty("step").GetInt32()));
        Assert.All(steps, s => Assert.Equal(3, s.GetProperty("steps").GetInt32()));
        foreach (var step in steps)
        {
            var preview = step.GetProperty("preview").GetString()!;
            Assert.StartsWith("data:image/jpeg;base64,", preview);
            var image = ImageCodec.Decode(Convert.FromBase64String(preview["data:image/jpeg;base64,".Length..]), new ImageDecodeLimits());
            // The latents' resolution: an eighth of the 128² render.
            Assert.Equal((16, 16), (image.Width, image.Height));
        }

        using var answer = await submission;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var finished = rest[^1].Json;
        Assert.Equal("succeeded", finished.GetProperty("status").GetString());
        Assert.Equal(await answer.Content.ReadFromJsonAsync<string>(), finished.GetProperty("url").GetString());
        using var ended = await holder;
        Assert.Equal(HttpStatusCode.Conflict, ended.StatusCode);
    }

    [Fact]
    public async Task Last_event_id_resumes_after_that_event_and_an_ended_job_answers_its_final_event_at_once()
    {
        using var client = Server.Client();
        using (var done = await SubmitAsync(client, Job("ev-resume", steps: 2))) Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        using var all = await OpenAsync(client, "ev-resume");
        using var allReader = await ReaderAsync(all);
        var events = await allReader.ReadToEndAsync();
        Assert.Equal(["queued", "started", "step", "step", "finished"], events.Select(e => e.Type));
        Assert.False(events.Any(e => e.Json.TryGetProperty("preview", out _)), "no previews unless asked for");

        using var resumed = await OpenAsync(client, "ev-resume", lastEventId: "3");
        using var resumedReader = await ReaderAsync(resumed);
        Assert.Equal(["4", "5"], (await resumedReader.ReadToEndAsync()).Select(e => e.Id));

        using var past = await OpenAsync(client, "ev-resume", lastEventId: "5");
        using var pastReader = await ReaderAsync(past);
        Assert.Equal(["finished"], (await pastReader.ReadToEndAsync()).Select(e => e.Type));

        using var bad = await OpenAsync(client, "ev-resume", lastEventId: "three");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("Last-Event-ID", (await ErrorAsync(bad)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Another_keys_job_is_the_same_404_as_an_unknown_one_after_the_wait()
    {
        using var client = Server.Client();
        using var other = Server.Client(GatewayTestServer.OtherKey);
        using (var done = await SubmitAsync(client, Job("ev-mine", steps: 1))) Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        var started = DateTime.UtcNow;
        var theirs = OpenAsync(other, "ev-mine");
        var unknown = OpenAsync(client, "ev-nobody");
        using var theirsResponse = await theirs;
        using var unknownResponse = await unknown;
        Assert.Equal(HttpStatusCode.NotFound, theirsResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownResponse.StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(4.5), "an unknown id is waited for");
        Assert.Equal(await ErrorAsync(unknownResponse) is var a ? a.GetProperty("code").GetString() : null,
            (await ErrorAsync(theirsResponse)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await OpenAsync(Server.Client(null), "ev-mine")).StatusCode);
    }

    [Fact]
    public async Task An_idle_stream_gets_heartbeat_comments()
    {
        using var client = Server.Client();
        var holder = SubmitAsync(client, Holders.Holder("ev-beat-holder"));
        await WaitUntilRunningAsync(client, "ev-beat-holder", holder);
        var queued = SubmitAsync(client, Job("ev-beat", deadline: 1000000));
        using var response = await OpenAsync(client, "ev-beat");
        using var reader = await ReaderAsync(response);
        Assert.Equal("queued", (await reader.NextAsync())!.Type);
        // Nothing happens to a queued job while the holder runs: only pings, every 0.2 s here.
        using var stop = new CancellationTokenSource();
        var next = reader.NextAsync(stop.Token);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!reader.Comments.Contains("ping") && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.Contains("ping", reader.Comments);
        Assert.False(next.IsCompleted, "only comments while the job waits");
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/jobs/ev-beat")).StatusCode);
        var failed = (await next)!;
        Assert.Equal("failed", failed.Type);
        Assert.Equal("cancelled", failed.Json.GetProperty("status").GetString());
        Assert.Equal("job_cancelled", failed.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(await reader.NextAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/jobs/ev-beat-holder")).StatusCode);
        (await queued).Dispose();
        (await holder).Dispose();
    }

    [Fact]
    public async Task A_hyperbolic_request_is_a_job_named_by_x_job_id()
    {
        using var client = Server.Client();
        var opening = OpenAsync(client, "hy-1");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/image/generation")
        {
            Content = JsonContent.Create(new { model_name = "tiny-sd", prompt = "a lighthouse", width = 64, height = 64, steps = 2 }),
        };
        request.Headers.Add("X-Job-Id", "hy-1");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hy-1", response.Headers.GetValues("X-Job-Id").Single());
        using var events = await opening;
        using var reader = await ReaderAsync(events);
        Assert.Equal(["queued", "started", "step", "step", "finished"], (await reader.ReadToEndAsync()).Select(e => e.Type));
        var view = await GetJobAsync(client, "hy-1");
        Assert.Equal(("hyperbolic", "succeeded"), (view.GetProperty("dialect").GetString(), Status(view)));
        Assert.Equal(2, view.GetProperty("progress").GetProperty("step").GetInt32());
    }
}
