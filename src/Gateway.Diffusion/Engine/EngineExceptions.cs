namespace Gateway.Diffusion.Engine;

/// <summary>The request names a model that models.json does not list.</summary>
public sealed class UnknownModelException(string modelId, IEnumerable<string> known)
    : Exception($"The model '{modelId}' does not exist. Available models: {string.Join(", ", known)}.")
{
    public string ModelId { get; } = modelId;
}

/// <summary>The model is listed but cannot serve now: still loading, or it failed to load.</summary>
public sealed class ModelNotReadyException(string modelId, string message) : Exception(message)
{
    public string ModelId { get; } = modelId;
}

/// <summary>The queue is at its bound; try again after <see cref="RetryAfter"/>.</summary>
public sealed class QueueFullException(int capacity, TimeSpan retryAfter)
    : Exception($"The queue is full ({capacity} waiting generations); try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The queue's estimate says the request cannot finish before its deadline; refused before any work.</summary>
public sealed class DeadlineUnreachableException(TimeSpan estimate, TimeSpan available, TimeSpan retryAfter)
    : Exception($"The generation would take about {estimate.TotalSeconds:0.#} s with the current queue, " +
                $"but its deadline is in {Math.Max(0, available.TotalSeconds):0.#} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The deadline passed before the images were done; the run was stopped.</summary>
public sealed class DeadlineExceededException(DateTimeOffset deadline)
    : Exception($"The deadline ({deadline:O}) passed before the generation finished; it was cancelled.")
{
    public DateTimeOffset Deadline { get; } = deadline;
}

/// <summary>The model ran but produced unusable output (e.g. NaN pixels from an overflowing fp16 VAE); the message says how to fix the model.</summary>
public sealed class ModelOutputException(string modelId, string message) : Exception(message)
{
    public string ModelId { get; } = modelId;
}
