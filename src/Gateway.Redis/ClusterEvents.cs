using System.Globalization;
using Gateway.Diffusion.Engine.Progress;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// A job's progress events in Redis, one stream per job (<c>events:{ref}</c>), so a subscriber on any node sees what
/// the node running it reports: queued places (from the node that waits for it), started and steps (from the node
/// running it), finished or failed (written by the state scripts as they end it).
/// </summary>
public sealed class ClusterEvents(RedisCluster redis)
{
    private RedisKey Key(string reference) => redis.Key("events:" + reference);

    public Task AppendAsync(string reference, GenerationEvent e)
    {
        NameValueEntry[] fields = e switch
        {
            QueuedEvent q =>
            [
                new("type", "queued"), new("position", q.Position),
                new("eta", q.Eta is { } eta ? eta.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) : ""),
            ],
            StartedEvent => [new("type", "started")],
            StepEvent s => [new("type", "step"), new("step", s.Step), new("steps", s.Steps)],
            _ => throw new ArgumentException($"{e.GetType().Name} is written by the job's state scripts.", nameof(e)),
        };
        return redis.Database.StreamAddAsync(Key(reference), fields);
    }

    /// <summary>The events after stream id <paramref name="afterId"/> ("0" from the start), with their stream ids.</summary>
    public async Task<IReadOnlyList<(string Id, GenerationEvent Event)>> ReadAsync(string reference, string afterId,
        Func<string?, string?> urlOfImage)
    {
        var entries = await redis.Database.StreamRangeAsync(Key(reference), afterId == "0" ? "-" : "(" + afterId, "+");
        var events = new List<(string, GenerationEvent)>();
        foreach (var entry in entries)
            if (Parse(entry, urlOfImage) is { } e) events.Add((entry.Id.ToString(), e));
        return events;
    }

    private static GenerationEvent? Parse(StreamEntry entry, Func<string?, string?> urlOfImage)
    {
        string? Field(string name) => entry[name] is { IsNull: false } value ? value.ToString() : null;
        int Integer(string name) => int.TryParse(Field(name), CultureInfo.InvariantCulture, out var n) ? n : 0;
        return Field("type") switch
        {
            "queued" => new QueuedEvent(Integer("position"),
                double.TryParse(Field("eta"), CultureInfo.InvariantCulture, out var eta) ? TimeSpan.FromSeconds(eta) : null),
            "started" => new StartedEvent(),
            "step" => new StepEvent(Integer("step"), Integer("steps")),
            "finished" => new FinishedEvent(urlOfImage(Field("image") is { Length: > 0 } image ? image : null)),
            "failed" => new FailedEvent(Field("status") switch
            {
                "cancelled" => FailureStatus.Cancelled,
                "expired" => FailureStatus.Expired,
                _ => FailureStatus.Failed,
            }, Field("code") ?? "failed", Field("message") ?? ""),
            _ => null,
        };
    }
}
