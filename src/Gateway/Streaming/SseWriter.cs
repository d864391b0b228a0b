using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Streaming;

/// <summary>
/// Writes a Server-Sent Events response: <c>id:</c>, <c>event:</c> and one <c>data:</c> line of JSON per event,
/// comments for heartbeats, each flushed at once. Writes are serialised, so a heartbeat timer and the event pump can
/// share one writer.
/// </summary>
public sealed class SseWriter(HttpResponse response)
{
    public const string ContentType = "text/event-stream";
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Status 200 and the SSE headers; proxies are asked not to buffer. Headers set before this go out with it.</summary>
    public async Task StartAsync(CancellationToken cancel)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancel);
        await response.Body.FlushAsync(cancel);
    }

    /// <summary>One event; <paramref name="id"/> is what a client sends back as <c>Last-Event-ID</c> to resume.</summary>
    public Task WriteEventAsync(string type, object data, JsonSerializerOptions json, long? id, CancellationToken cancel)
    {
        var text = new StringBuilder();
        if (id is { } n) text.Append("id: ").Append(n).Append('\n');
        text.Append("event: ").Append(type).Append('\n');
        text.Append("data: ").Append(JsonSerializer.Serialize(data, data.GetType(), json)).Append("\n\n");
        return WriteAsync(text.ToString(), cancel);
    }

    /// <summary>A <c>data:</c> line without an event type (OpenAI's error frame).</summary>
    public Task WriteDataAsync(object data, JsonSerializerOptions json, CancellationToken cancel) =>
        WriteAsync($"data: {JsonSerializer.Serialize(data, data.GetType(), json)}\n\n", cancel);

    /// <summary>A comment line, which clients ignore: the heartbeat.</summary>
    public Task WriteCommentAsync(string comment, CancellationToken cancel) => WriteAsync($": {comment}\n\n", cancel);

    private async Task WriteAsync(string text, CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel);
        try
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancel);
            await response.Body.FlushAsync(cancel);
        }
        finally
        {
            _gate.Release();
        }
    }
}
