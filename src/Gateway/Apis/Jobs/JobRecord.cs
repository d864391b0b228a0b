namespace Gateway.Apis.Jobs;

/// <summary>A job as the database keeps it. A job in progress is stored as <see cref="JobStatus.Queued"/>; whether it
/// runs, and how far it got, lives in its <see cref="ActiveJob"/> until the final state is written.</summary>
public sealed record JobRecord(
    string Owner,
    string JobId,
    JobStatus Status,
    string Model,
    int Width,
    int Height,
    int Steps,
    ulong Seed,
    int Priority,
    double Credits,
    DateTimeOffset CreatedAt,
    DateTimeOffset DeadlineAt)
{
    /// <summary>The prompt as it runs: with a model's trigger words in front when it lacked them.</summary>
    public string Prompt { get; init; } = "";
    public int ProgressStep { get; init; }
    /// <summary>The stored image's file name, null once retention has removed the image.</summary>
    public string? ImageFile { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorCode { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>How a job ended, as <see cref="JobStore.Finish"/> records it.</summary>
public sealed record JobOutcome(JobStatus Status, int ProgressStep, DateTimeOffset? StartedAt, DateTimeOffset FinishedAt)
{
    public string? ImageFile { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorCode { get; init; }
}
