using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Vae;

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
    private (OnnxTensor Input, OnnxTensor Output)? _buffers;

    public VaeDecoder(OnnxModelFile file)
    {
        _file = file;
        _input = file.RequireInput(LatentSample);
        _output = file.RequireOutput(Sample);
        file.RejectUnfedInputs(_inputNames, "VAE decoder");
    }

    /// <summary>Decodes one latent image [channels, h, w] into pixels [3, 8h, 8w], valid until the next decode: the
    /// tensors are kept for the next image of the same size (the worker decodes one image at a time), and a float32
    /// model's output is handed out without a copy.</summary>
    public ReadOnlySpan<float> Decode(ReadOnlySpan<float> latents, int channels, int latentHeight, int latentWidth,
        RunOptions runOptions, OnnxClock clock)
    {
        var buffers = BuffersFor(channels, latentHeight, latentWidth);
        buffers.Input.Write(latents);
        clock.Run((this, buffers, runOptions), static s =>
        {
            s.Item1._file.Session.Run(s.runOptions, s.Item1._inputNames, [s.buffers.Input.Value], s.Item1._outputNames, [s.buffers.Output.Value]);
            return 0;
        });
        return buffers.Output.AsFloats();
    }

    private (OnnxTensor Input, OnnxTensor Output) BuffersFor(int channels, int latentHeight, int latentWidth)
    {
        if (_buffers is { } cached && cached.Input.Shape.SequenceEqual([1L, channels, latentHeight, latentWidth])) return cached;
        _buffers?.Input.Dispose();
        _buffers?.Output.Dispose();
        _buffers = (OnnxTensor.Allocate(_input.ElementType, 1, channels, latentHeight, latentWidth),
            OnnxTensor.Allocate(_output.ElementType, 1, 3, latentHeight * 8, latentWidth * 8));
        return _buffers.Value;
    }

    public void Dispose()
    {
        _buffers?.Input.Dispose();
        _buffers?.Output.Dispose();
        _file.Dispose();
    }
}
