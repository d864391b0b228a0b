using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Engine;

/// <summary>How the engine schedules one generation; the request itself says what to draw.</summary>
public sealed record GenerationOptions
{
    /// <summary>Higher runs first; equal priorities run first-come first-served, fairly between clients.</summary>
    public int Priority { get; init; } = 1;

    /// <summary>Who asked (an API key's id): one client's flood does not starve another at the same priority.</summary>
    public string Client { get; init; } = "";

    /// <summary>When the images must be done; the run is cancelled then and fails with <see cref="DeadlineExceededException"/>.
    /// A request the queue's estimate says cannot finish in time is refused at once with <see cref="DeadlineUnreachableException"/>.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>The job id the client knows the generation by (unique per client), when it has one; a cluster names the
    /// job by it, so any node can find it.</summary>
    public string? JobId { get; init; }

    /// <summary>The API dialect that asked (<c>jobs</c>, <c>openai</c>, <c>hyperbolic</c>), when a dialect did.</summary>
    public string? Dialect { get; init; }

    /// <summary>Called on the worker thread when the generation leaves the queue and starts.</summary>
    public Action? Started { get; init; }

    /// <summary>Called on the worker thread after each denoising step.</summary>
    public Action<GenerationProgress>? Progress { get; init; }
}
