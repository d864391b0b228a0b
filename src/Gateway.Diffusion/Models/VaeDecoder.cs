using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Models;

/// <summary>Latents to pixels in [-1, 1]; the caller has already divided by the VAE scaling factor.</summary>
internal sealed class VaeDecoder : IDisposable
{
    private static readonly TensorExpectation LatentSample = new("latent_sample", TensorKind.Float, [4], "[batch, channels, height/8, width/8]");
    private static readonly TensorExpectation Sample = new("sample", TensorKind.Float, [4], "[batch, 3, height, width]");

    private readonly OnnxModelFile _file;
    private readonly TensorSignature _input;
    private readonly TensorSignature _output;
    private readonly string[] _inputNames = [LatentSample.Name];
    private readonly string[] _outputNames = [Sample.Name];

    public VaeDecoder(OnnxModelFile file)
    {
        _file = file;
        _input = file.RequireInput(LatentSample);
        _output = file.RequireOutput(Sample);
        file.RejectUnfedInputs(_inputNames, "VAE decoder");
    }

    /// <summary>Decodes one latent image [channels, h, w] into [3, 8h, 8w].</summary>
    public float[] Decode(ReadOnlySpan<float> latents, int channels, int latentHeight, int latentWidth, RunOptions runOptions)
    {
        var height = latentHeight * 8;
        var width = latentWidth * 8;
        using var input = OnnxTensor.Allocate(_input.ElementType, 1, channels, latentHeight, latentWidth);
        using var output = OnnxTensor.Allocate(_output.ElementType, 1, 3, height, width);
        input.Write(latents);
        _file.Session.Run(runOptions, _inputNames, [input.Value], _outputNames, [output.Value]);
        var pixels = new float[3 * height * width];
        output.Read(pixels);
        return pixels;
    }

    public void Dispose() => _file.Dispose();
}
