using System.Text.Json.Serialization;
using Gateway.Apis.Shared;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Streaming;

namespace Gateway.Apis.Jobs;

/// <summary>What <c>GET</c> and <c>DELETE /jobs/{job_id}</c> show for a job of the OpenAI or Hyperbolic dialect, which
/// keeps no record: its state from its events while this process tracks it.</summary>
public sealed record LiveJobView(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("dialect")] string Dialect,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("queue_position")] int? QueuePosition,
    [property: JsonPropertyName("eta_seconds")] double? EtaSeconds,
    [property: JsonPropertyName("progress")] JobProgress? Progress,
    [property: JsonPropertyName("error")] JobError? Error)
{
    public static LiveJobView Of(TrackedJob job, IGenerationService engine)
    {
        var (last, step) = job.Feed.Latest;
        var standing = last is null or QueuedEvent ? engine.QueueStanding(job.Options) : null;
        var status = last switch
        {
            null or QueuedEvent => "queued",
            FinishedEvent => "succeeded",
            FailedEvent failed => JobEventFrames.StatusName(failed.Status),
            _ => "running",
        };
        return new LiveJobView(job.JobId, job.Dialect, status, standing?.Position, Seconds(standing?.Eta),
            step is null ? null : new JobProgress(step.Step, step.Steps),
            last is FailedEvent f ? new JobError(f.Message, f.Code) : null);
    }

    public static double? Seconds(TimeSpan? eta) => eta is { } e ? Math.Round(e.TotalSeconds, 1) : null;
}
