using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;
using static Gateway.Tests.Progress.EventStreams;

namespace Gateway.Tests.Progress;

/// <summary>OpenAI's image streaming on <c>/v1/images/generations</c> over raw HTTP, and OpenAI requests as jobs
/// (<c>X-Job-Id</c>): their events, duplicates and cancellation.</summary>
public sealed class OpenAiStreamingTests(ProgressServer fixture) : IClassFixture<ProgressServer>
{
    private GatewayTestServer Server => fixture.Server;

    private static HttpRequestMessage Generation(string json, string? jobId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, GenerationsPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (jobId is not null) request.Headers.Add("X-Job-Id", jobId);
        return request;
    }

    private async Task<(HttpResponseMessage Response, List<SseEvent> Events)> StreamAsync(HttpClient client, string json, string? jobId = null)
    {
        var response = await client.SendAsync(Generation(json, jobId), HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = await ReaderAsync(response);
        return (response, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Two_partial_images_then_the_completed_one_in_openais_shapes()
    {
        using var client = Server.Client();
        var (response, events) = await StreamAsync(client,
            """{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "stream": true, "partial_images": 2, "seed": 5}""");
        using (response)
        {
            Assert.Equal("5", response.Headers.GetValues("X-Seed").Single());
            Assert.StartsWith("openai-", response.Headers.GetValues("X-Job-Id").Single());
        }
        Assert.Equal(["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"], events.Select(e => e.Type));
        for (var i = 0; i < 2; i++)
        {
            var partial = events[i].Json;
            Assert.Equal("image_generation.partial_image", partial.GetProperty("type").GetString());
            Assert.Equal(i, partial.GetProperty("partial_image_index").GetInt32());
            Assert.Equal("512x512", partial.GetProperty("size").GetString());
            Assert.Equal("png", partial.GetProperty("output_format").GetString());
            Assert.Equal("auto", partial.GetProperty("quality").GetString());
            Assert.Equal("opaque", partial.GetProperty("background").GetString());
            Assert.InRange(partial.GetProperty("created_at").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), long.MaxValue);
            var bytes = ImageBytes(partial);
            Assert.Equal(ImageFormat.Png, FormatOf(bytes));
            Assert.Equal((512, 512), SizeOf(bytes));
        }
        var completed = events[2].Json;
        Assert.False(completed.TryGetProperty("partial_image_index", out _));
        Assert.Equal(0, completed.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, completed.GetProperty("usage").GetProperty("input_tokens_details").GetProperty("text_tokens").GetInt32());
        // The partial images are earlier estimates, the completed one the image the same request gives without streaming.
        Assert.NotEqual(ImageBytes(events[0].Json), ImageBytes(completed));
        var plain = await SuccessOf(await client.GenerateAsync("""{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "seed": 5}"""));
        Assert.Equal(ImageBytes(plain.GetProperty("data")[0]), ImageBytes(completed));
    }

    [Fact]
    public async Task N_images_stream_the_first_images_partials_then_one_completed_event_each()
    {
        using var client = Server.Client();
        var (response, events) = await StreamAsync(client,
            """{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "n": 2, "stream": true, "partial_images": 1, "output_format": "jpeg"}""");
        response.Dispose();
        Assert.Equal(["image_generation.partial_image", "image_generation.completed", "image_generation.completed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(ImageFormat.Jpeg, FormatOf(ImageBytes(e.Json))));
        Assert.NotEqual(ImageBytes(events[1].Json), ImageBytes(events[2].Json));

        var (none, only) = await StreamAsync(client, """{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "stream": true}""");
        none.Dispose();
        Assert.Equal(["image_generation.completed"], only.Select(e => e.Type));
    }

    [Fact]
    public async Task An_openai_job_is_followed_by_its_x_job_id_cancelled_by_delete_and_its_stream_ends_with_an_error_frame()
    {
        using var client = Server.Client();
        using (var warm = await SubmitAsync(client, Job("oa-warm", steps: 1))) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        var holder = SubmitAsync(client, ProgressServer.Holder("oa-holder"));
        await WaitUntilRunningAsync(client, "oa-holder", holder);

        // A job id in progress is unique per key, across dialects; a malformed one is a 400 naming the header.
        using (var duplicate = await client.SendAsync(Generation("""{"model": "tiny-sd", "prompt": "x"}""", "oa-holder")))
            await AssertError(duplicate, HttpStatusCode.Conflict, "X-Job-Id", "duplicate_job_id");
        using (var malformed = await client.SendAsync(Generation("""{"model": "tiny-sd", "prompt": "x"}""", "no spaces")))
            await AssertError(malformed, HttpStatusCode.BadRequest, "X-Job-Id");

        var opening = OpenAsync(client, "oa-stream");
        var streaming = client.SendAsync(Generation("""{"model": "tiny-sd", "prompt": "x", "size": "512x512", "stream": true, "partial_images": 1}""",
            "oa-stream"), HttpCompletionOption.ResponseHeadersRead);
        using var events = await opening;
        using var eventReader = await ReaderAsync(events);
        var queued = (await eventReader.NextAsync())!;
        Assert.Equal("queued", queued.Type);
        Assert.Equal("oa-stream", queued.Json.GetProperty("job_id").GetString());
        var view = await client.GetFromJsonAsync<JsonElement>("/jobs/oa-stream");
        Assert.Equal(("openai", "queued", 1), (view.GetProperty("dialect").GetString(), Status(view), view.GetProperty("queue_position").GetInt32()));
        Assert.Equal(JsonValueKind.Number, view.GetProperty("eta_seconds").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Client(GatewayTestServer.OtherKey).DeleteAsync("/jobs/oa-stream")).StatusCode);

        using var deleted = await client.DeleteAsync("/jobs/oa-stream");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("cancelled", Status(await deleted.Content.ReadFromJsonAsync<JsonElement>()));
        var failed = (await eventReader.NextAsync())!;
        Assert.Equal(("failed", "cancelled"), (failed.Type, failed.Json.GetProperty("status").GetString()));
        Assert.Equal("job_cancelled", failed.Json.GetProperty("error").GetProperty("code").GetString());

        using var stream = await streaming;
        Assert.Equal("oa-stream", stream.Headers.GetValues("X-Job-Id").Single());
        using var streamReader = await ReaderAsync(stream);
        var frames = await streamReader.ReadToEndAsync();
        var error = Assert.Single(frames);
        Assert.Null(error.Type);
        Assert.Equal("job_cancelled", error.Json.GetProperty("error").GetProperty("code").GetString());

        using (var again = await client.DeleteAsync("/jobs/oa-stream"))
            await AssertError(again, HttpStatusCode.Conflict, "job_id", "job_finished");
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/jobs/oa-holder")).StatusCode);
        (await holder).Dispose();
    }

    [Fact]
    public async Task A_plain_openai_request_names_its_job_and_its_events_end_with_finished()
    {
        using var client = Server.Client();
        using var response = await client.SendAsync(Generation("""{"model": "tiny-sd", "prompt": "x", "size": "512x512"}""", "oa-plain"));
        await SuccessOf(response);
        Assert.Equal("oa-plain", response.Headers.GetValues("X-Job-Id").Single());
        using var events = await OpenAsync(client, "oa-plain");
        using var reader = await ReaderAsync(events);
        var all = await reader.ReadToEndAsync();
        Assert.Equal("queued", all[0].Type);
        Assert.Equal("started", all[1].Type);
        Assert.Equal(20, all.Count(e => e.Type == "step"));
        Assert.Equal("finished", all[^1].Type);
        Assert.False(all[^1].Json.TryGetProperty("url", out _), "a b64_json answer is stored nowhere");
        // The same id may be used again once the job has ended.
        using var again = await client.SendAsync(Generation("""{"model": "tiny-sd", "prompt": "x", "size": "512x512"}""", "oa-plain"));
        await SuccessOf(again);
    }

    [Fact]
    public async Task A_refusal_before_any_work_is_a_plain_json_answer_not_a_stream()
    {
        using var broke = Server.Client(GatewayTestServer.OtherKey);
        using var response = await broke.SendAsync(Generation(
            """{"model": "tiny-sd", "prompt": "x", "size": "512x512", "stream": true, "partial_images": 1}""", "oa-broke"));
        await AssertError(response, HttpStatusCode.PaymentRequired, null, "insufficient_credits");
        Assert.Equal("oa-broke", response.Headers.GetValues("X-Job-Id").Single());
    }
}
