namespace Gateway.Diffusion.Pipelines;

/// <summary>One request inside a batched run, with its own progress and cancellation.</summary>
internal sealed class BatchMember(GenerationRequest request, ResolvedGeneration resolved, Action<GenerationProgress>? progress,
    CancellationToken token)
{
    public GenerationRequest Request { get; } = request;
    public ResolvedGeneration Resolved { get; } = resolved;
    public Action<GenerationProgress>? Progress { get; } = progress;
    public CancellationToken Token { get; } = token;

    /// <summary>Set when the member was cancelled mid-run and its images left the batch.</summary>
    public bool Dropped { get; set; }
}
