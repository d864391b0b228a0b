using Gateway.Diffusion.Onnx;

namespace Gateway.Diffusion.Engine;

public sealed record EngineOptions
{
    /// <summary>The folder with models.json and one export folder per model.</summary>
    public string ModelsDirectory { get; init; } = "onnx-models";

    public OnnxOptions Onnx { get; init; } = new();

    /// <summary>Generations that may wait (not counting the one running); more are refused with <see cref="QueueFullException"/>.</summary>
    public int MaxQueueLength { get; init; } = 64;
}
