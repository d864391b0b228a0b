using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.Support;

/// <summary>One Server-Sent Event as a client parses it (the WHATWG rules: id, event, data lines; comments apart).</summary>
public sealed record SseEvent(string? Id, string? Type, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}

/// <summary>Reads an event stream line by line from a response opened with ResponseHeadersRead.</summary>
public sealed class SseReader(Stream body) : IDisposable
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    /// <summary>Comments seen so far (the heartbeat's <c>ping</c>); a test may read them while a read is pending.</summary>
    public ConcurrentQueue<string> Comments { get; } = new();

    /// <summary>The next event, or null when the server closed the stream.</summary>
    public async Task<SseEvent?> NextAsync(CancellationToken cancel = default)
    {
        string? id = null, type = null;
        var data = new StringBuilder();
        var any = false;
        while (await _reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.Length == 0)
            {
                if (any) return new SseEvent(id, type, data.ToString());
                continue;
            }
            if (line.StartsWith(':'))
            {
                Comments.Enqueue(line[1..].Trim());
                continue;
            }
            any = true;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
            }
        }
        return null;
    }

    /// <summary>Every remaining event until the server closes the stream.</summary>
    public async Task<List<SseEvent>> ReadToEndAsync(CancellationToken cancel = default)
    {
        var events = new List<SseEvent>();
        while (await NextAsync(cancel) is { } e) events.Add(e);
        return events;
    }

    public void Dispose() => _reader.Dispose();
}
