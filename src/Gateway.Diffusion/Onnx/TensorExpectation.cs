using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>Which element types a model input or output may have.</summary>
internal enum TensorKind
{
    /// <summary>float32 or float16.</summary>
    Float,
    /// <summary>int32 or int64.</summary>
    Integer,
    /// <summary>float32, float16, float64, int32 or int64 (the UNet timestep varies between exporters).</summary>
    Number,
}

/// <summary>What the pipeline needs of one named tensor: its kind and allowed ranks.</summary>
internal sealed record TensorExpectation(string Name, TensorKind Kind, int[] Ranks, string Shape)
{
    public bool Accepts(TensorElementType type) => Kind switch
    {
        TensorKind.Float => type is TensorElementType.Float or TensorElementType.Float16,
        TensorKind.Integer => type is TensorElementType.Int32 or TensorElementType.Int64,
        _ => type is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Double
            or TensorElementType.Int32 or TensorElementType.Int64,
    };

    public string KindDescription => Kind switch
    {
        TensorKind.Float => "float32 or float16",
        TensorKind.Integer => "int32 or int64",
        _ => "a float or integer type",
    };
}
