using System.Text.Json.Serialization;
using Gateway.Diffusion.Engine;
using Gateway.Storage;

namespace Gateway.Apis.Jobs;

/// <summary>What <c>GET /jobs/{job_id}</c> shows; <see cref="QueuePosition"/> and <see cref="EtaSeconds"/> (the estimated
/// wait until it starts, null before the model has run once) while it waits. <see cref="Credits"/> is what the job costs the key: its price while
/// in progress and once succeeded, 0 when it did not succeed (only delivered images are charged).</summary>
public sealed record JobView(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("model_id")] string ModelId,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("queue_position")] int? QueuePosition,
    [property: JsonPropertyName("eta_seconds")] double? EtaSeconds,
    [property: JsonPropertyName("progress")] JobProgress Progress,
    [property: JsonPropertyName("image_url")] string? ImageUrl,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("credits")] double Credits,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("deadline_at")] string DeadlineAt,
    [property: JsonPropertyName("started_at")] string? StartedAt,
    [property: JsonPropertyName("finished_at")] string? FinishedAt,
    [property: JsonPropertyName("error")] JobError? Error)
{
    /// <summary>The record, with the live state of <paramref name="active"/> while the job is in progress.</summary>
    public static JobView Of(JobRecord job, ActiveJob? active, DiffusionEngine engine, ImageUrls urls, HttpRequest request)
    {
        var live = active is not null && !job.Status.IsFinal();
        var startedAt = live ? active!.StartedAt : job.StartedAt;
        var status = live && startedAt is not null ? JobStatus.Running : job.Status;
        var step = live ? active!.Step : job.ProgressStep;
        var standing = live ? engine.QueueStanding(active!.Options) : null;
        return new JobView(
            job.JobId,
            status.ToName(),
            job.Model,
            job.Prompt,
            standing?.Position,
            LiveJobView.Seconds(standing?.Eta),
            new JobProgress(step, job.Steps),
            job.ImageFile is { } file ? urls.For(request, file) : null,
            job.Seed,
            job.Width,
            job.Height,
            job.Priority,
            status is JobStatus.Failed or JobStatus.Cancelled or JobStatus.Expired ? 0 : job.Credits,
            Timestamps.ToText(job.CreatedAt),
            Timestamps.ToText(job.DeadlineAt),
            startedAt is { } started ? Timestamps.ToText(started) : null,
            job.FinishedAt is { } finished ? Timestamps.ToText(finished) : null,
            job.ErrorCode is { } code ? new JobError(job.ErrorMessage ?? "", code) : null);
    }
}

public sealed record JobProgress([property: JsonPropertyName("step")] int Step, [property: JsonPropertyName("steps")] int Steps);

public sealed record JobError([property: JsonPropertyName("message")] string Message, [property: JsonPropertyName("code")] string Code);
