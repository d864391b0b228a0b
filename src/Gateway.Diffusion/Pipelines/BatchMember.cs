using Gateway.Diffusion.Engine.Progress;

namespace Gateway.Diffusion.Pipelines;

/// <summary>One request inside a batched run, with its own progress, event feed and cancellation.</summary>
internal sealed class BatchMember(GenerationRequest request, ResolvedGeneration resolved, Action<GenerationProgress>? progress,
    CancellationToken token, DateTimeOffset? deadline = null, GenerationFeed? feed = null)
{
    public GenerationRequest Request { get; } = request;
    public ResolvedGeneration Resolved { get; } = resolved;
    public Action<GenerationProgress>? Progress { get; } = progress;
    public CancellationToken Token { get; } = token;
    /// <summary>Where the member's step events (and previews, when asked for) go.</summary>
    public GenerationFeed? Feed { get; } = feed;
    public DateTimeOffset? Deadline { get; } = deadline;

    /// <summary>Cancelled, or past its deadline. The deadline is read from the clock too, not only from the timer that
    /// cancels <see cref="Token"/>: under load that timer can fire late, and a result after the deadline is no result.</summary>
    public bool ShouldStop => Token.IsCancellationRequested || (Deadline is { } d && DateTimeOffset.UtcNow >= d);

    /// <summary>Set when the member was cancelled mid-run and its images left the batch.</summary>
    public bool Dropped { get; set; }
}
