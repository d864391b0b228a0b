using System.Text.Json.Serialization;
using Gateway.Diffusion.Engine.Progress;

namespace Gateway.Streaming;

/// <summary>The <c>data:</c> JSON of <c>GET /jobs/{job_id}/events</c>, one shape per event type; every one carries
/// <c>type</c> and <c>job_id</c>.</summary>
public static class JobEventFrames
{
    public static string TypeOf(GenerationEvent e) => e switch
    {
        QueuedEvent => "queued",
        StartedEvent => "started",
        StepEvent => "step",
        FinishedEvent => "finished",
        _ => "failed",
    };

    public static object For(GenerationEvent e, string jobId) => e switch
    {
        QueuedEvent queued => new QueuedFrame("queued", jobId, queued.Position,
            queued.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : null),
        StartedEvent => new StartedFrame("started", jobId),
        StepEvent step => new StepFrame("step", jobId, step.Step, step.Steps,
            step.Preview is { } jpeg ? "data:image/jpeg;base64," + Convert.ToBase64String(jpeg) : null),
        FinishedEvent finished => new FinishedFrame("finished", jobId, "succeeded", finished.Url),
        FailedEvent failed => new FailedFrame("failed", jobId, StatusName(failed.Status), new FrameError(failed.Code, failed.Message)),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "Unknown event."),
    };

    public static string StatusName(FailureStatus status) => status switch
    {
        FailureStatus.Cancelled => "cancelled",
        FailureStatus.Expired => "expired",
        _ => "failed",
    };

    public sealed record QueuedFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("job_id")] string JobId,
        [property: JsonPropertyName("position")] int Position,
        [property: JsonPropertyName("eta_seconds")] double? EtaSeconds);

    public sealed record StartedFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("job_id")] string JobId);

    public sealed record StepFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("job_id")] string JobId,
        [property: JsonPropertyName("step")] int Step,
        [property: JsonPropertyName("steps")] int Steps,
        [property: JsonPropertyName("preview"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Preview);

    public sealed record FinishedFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("job_id")] string JobId,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url);

    public sealed record FailedFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("job_id")] string JobId,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("error")] FrameError Error);

    public sealed record FrameError(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("message")] string Message);
}
