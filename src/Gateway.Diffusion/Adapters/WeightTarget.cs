namespace Gateway.Diffusion.Adapters;

/// <summary>How a layer's weight is stored in the ONNX graph.</summary>
internal enum WeightLayout
{
    /// <summary>MatMul's B (or Gemm without transB): Linear's weight transposed, [in, out].</summary>
    InputMajor,
    /// <summary>Gemm with transB = 1: PyTorch's Linear layout, [out, in].</summary>
    OutputMajor,
    /// <summary>Conv: [out, in, kh, kw].</summary>
    Convolution,
}

/// <summary>The initializer that holds one module's weight.</summary>
internal sealed record WeightTarget(string Module, OnnxInitializer Initializer, WeightLayout Layout)
{
    /// <summary>Output features (rows of ΔW).</summary>
    public long Out => Layout == WeightLayout.InputMajor ? Initializer.Dims[1] : Initializer.Dims[0];

    /// <summary>Input features times kernel area (columns of ΔW).</summary>
    public long In => Layout switch
    {
        WeightLayout.InputMajor => Initializer.Dims[0],
        WeightLayout.OutputMajor => Initializer.Dims[1],
        _ => Initializer.Dims.Skip(1).Aggregate(1L, (p, d) => p * d),
    };
}
