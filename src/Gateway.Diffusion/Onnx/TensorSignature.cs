using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>A model input or output as the session reports it; dimensions are -1 where symbolic.</summary>
internal sealed record TensorSignature(string Name, TensorElementType ElementType, int[] Dimensions)
{
    public int Rank => Dimensions.Length;

    /// <summary>The fixed size of dimension <paramref name="axis"/>, or null where the export left it symbolic.</summary>
    public int? FixedDimension(int axis) => Dimensions[axis] >= 0 ? Dimensions[axis] : null;
}
