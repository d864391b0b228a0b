using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>A job as the cluster keeps it in Redis: status (<c>queued</c>, <c>running</c>, <c>succeeded</c>,
/// <c>failed</c>, <c>cancelled</c>, <c>expired</c>), where it runs, how far it got, and how it ended.</summary>
public sealed record ClusterJobState(string Ref, string Status, string Model, string Dialect, int Priority, string Client)
{
    public required string Data { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeadlineAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int Step { get; init; }
    public int Attempts { get; init; }
    public string? Node { get; init; }
    /// <summary>The stored image's file name (a Jobs job), or null.</summary>
    public string? Image { get; init; }
    /// <summary>The key of the images handed back to the waiting node (a synchronous dialect's job), or null.</summary>
    public string? ResultKey { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorParam { get; init; }
    public int ErrorStatus { get; init; }
    /// <summary>Why a cancellation of the running job was asked for (the code and message it ends with).</summary>
    public string? CancelCode { get; init; }
    public string? CancelMessage { get; init; }
    /// <summary>The ordering key in its model's queue (priority, turn, arrival).</summary>
    public string Member { get; init; } = "";
    public double Units { get; init; }

    public bool IsFinal => Status is "succeeded" or "failed" or "cancelled" or "expired";

    public ClusterJob Job => ClusterJson.Deserialize<ClusterJob>(Data);

    internal static ClusterJobState? From(string reference, HashEntry[] entries)
    {
        if (entries.Length == 0) return null;
        var fields = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
        string? Text(string name) => fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
        long? Number(string name) => Text(name) is { } value && long.TryParse(value, out var n) ? n : null;
        DateTimeOffset? Time(string name) => Number(name) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return new ClusterJobState(reference, Text("status") ?? "queued", Text("model") ?? "", Text("dialect") ?? "",
            (int)(Number("priority") ?? 0), Text("client") ?? "")
        {
            Data = Text("data") ?? "{}",
            CreatedAt = Time("created") ?? DateTimeOffset.UnixEpoch,
            DeadlineAt = Time("deadline"),
            StartedAt = Time("started"),
            FinishedAt = Time("finished"),
            Step = (int)(Number("step") ?? 0),
            Attempts = (int)(Number("attempts") ?? 0),
            Node = Text("node"),
            Image = Text("image"),
            ResultKey = Text("result"),
            ErrorCode = Text("error_code"),
            ErrorMessage = Text("error_message"),
            ErrorParam = Text("error_param"),
            ErrorStatus = (int)(Number("error_status") ?? 0),
            CancelCode = Text("cancel_code"),
            CancelMessage = Text("cancel_message"),
            Member = Text("member") ?? "",
            Units = Text("units") is { } units && double.TryParse(units, System.Globalization.CultureInfo.InvariantCulture, out var u) ? u : 0,
        };
    }
}
