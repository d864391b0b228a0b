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
    private readonly Dictionary<(int Channels, int Height, int Width), (OnnxTensor Input, OnnxTensor Output)> _tileBuffers = [];

    public VaeDecoder(OnnxModelFile file)
    {
        _file = file;
        _input = file.RequireInput(LatentSample);
        _output = file.RequireOutput(Sample);
        file.RejectUnfedInputs(_inputNames, "VAE decoder");
    }

    /// <summary>Decodes one latent image [channels, h, w] into pixels [3, 8h, 8w], in tiles when <paramref name="tiling"/>
    /// says so. Valid until the next decode: the tensors are kept for the next image of the same size (the worker
    /// decodes one image at a time), and a float32 model's output is handed out without a copy.</summary>
    public ReadOnlySpan<float> Decode(ReadOnlySpan<float> latents, int channels, int latentHeight, int latentWidth,
        VaeTiling? tiling, RunOptions runOptions, OnnxClock clock)
    {
        if (tiling is null || !tiling.TilesLatents(latentHeight, latentWidth))
            return Run(latents, BuffersFor(channels, latentHeight, latentWidth), runOptions, clock);
        return tiling.Decode(latents, channels, latentHeight, latentWidth, (ReadOnlySpan<float> tile, int height, int width, out int outputs) =>
        {
            outputs = 3;
            return Run(tile, TileBuffersFor(channels, height, width), runOptions, clock);
        });
    }

    private ReadOnlySpan<float> Run(ReadOnlySpan<float> latents, (OnnxTensor Input, OnnxTensor Output) buffers, RunOptions runOptions, OnnxClock clock)
    {
        buffers.Input.Write(latents);
        clock.Run((this, buffers, runOptions), static s =>
        {
            s.Item1._file.Session.Run(s.runOptions, s.Item1._inputNames, [s.buffers.Input.Value], s.Item1._outputNames, [s.buffers.Output.Value]);
            return 0;
        });
        return buffers.Output.AsFloats();
    }

    /// <summary>A tiled image has at most four tile shapes (inside, right edge, bottom edge, corner): each keeps its tensors.</summary>
    private (OnnxTensor Input, OnnxTensor Output) TileBuffersFor(int channels, int latentHeight, int latentWidth)
    {
        if (!_tileBuffers.TryGetValue((channels, latentHeight, latentWidth), out var buffers))
            _tileBuffers[(channels, latentHeight, latentWidth)] = buffers = Allocate(channels, latentHeight, latentWidth);
        return buffers;
    }

    private (OnnxTensor Input, OnnxTensor Output) BuffersFor(int channels, int latentHeight, int latentWidth)
    {
        if (_buffers is { } cached && cached.Input.Shape.SequenceEqual([1L, channels, latentHeight, latentWidth])) return cached;
        _buffers?.Input.Dispose();
        _buffers?.Output.Dispose();
        _buffers = Allocate(channels, latentHeight, latentWidth);
        return _buffers.Value;
    }

    private (OnnxTensor Input, OnnxTensor Output) Allocate(int channels, int latentHeight, int latentWidth) =>
        (OnnxTensor.Allocate(_input.ElementType, 1, channels, latentHeight, latentWidth),
            OnnxTensor.Allocate(_output.ElementType, 1, 3, latentHeight * 8, latentWidth * 8));

    public void Dispose()
    {
        _buffers?.Input.Dispose();
        _buffers?.Output.Dispose();
        foreach (var (input, output) in _tileBuffers.Values)
        {
            input.Dispose();
            output.Dispose();
        }
        _file.Dispose();
    }
}
