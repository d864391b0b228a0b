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
