using Gateway.Diffusion.Onnx;

namespace Gateway.Diffusion.Engine;

public sealed record EngineOptions
{
    /// <summary>The folder with models.json and one export folder per model.</summary>
    public string ModelsDirectory { get; init; } = "onnx-models";

    public OnnxOptions Onnx { get; init; } = new();
}
