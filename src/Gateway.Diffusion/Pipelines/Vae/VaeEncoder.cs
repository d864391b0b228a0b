using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Vae;

/// <summary>
/// Pixels in [-1, 1] to latents (before the scaling factor). Older diffusers exports sample inside the graph
/// (<c>latent_sample</c>); newer optimum exports give the distribution (<c>latent_parameters</c>: mean and
/// log-variance on channels), which is sampled here from the request's generator, as diffusers does.
/// </summary>
internal sealed class VaeEncoder : IDisposable
{
    private static readonly TensorExpectation Sample = new("sample", TensorKind.Float, [4], "[batch, 3, height, width]");
    private static readonly TensorExpectation LatentSample = new("latent_sample", TensorKind.Float, [4], "[batch, channels, height/8, width/8]");
    private static readonly TensorExpectation LatentParameters = new("latent_parameters", TensorKind.Float, [4], "[batch, 2 × channels, height/8, width/8]");

    private readonly OnnxModelFile _file;
    private readonly TensorSignature _input;
    private readonly TensorSignature _output;
    private readonly string[] _inputNames = [Sample.Name];

    public VaeEncoder(OnnxModelFile file)
    {
        _file = file;
        _input = file.RequireInput(Sample);
        _output = file.RequireOutput(LatentSample, LatentParameters);
        file.RejectUnfedInputs(_inputNames, "VAE encoder");
    }

    /// <summary>Encodes one image [3, height, width] into latents [channels, height/8, width/8], in tiles when
    /// <paramref name="tiling"/> says so (the distribution's parameters are blended, then sampled, as diffusers does).</summary>
    public float[] Encode(ReadOnlySpan<float> pixels, int height, int width, int channels, VaeTiling? tiling, INoiseSource noise,
        RunOptions runOptions, OnnxClock clock)
    {
        var latentLength = channels * (height / 8) * (width / 8);
        var outputChannels = _output.Name == LatentParameters.Name ? 2 * channels : channels;
        var encoded = tiling is not null && tiling.TilesPixels(height, width)
            ? tiling.Encode(pixels, height, width, (ReadOnlySpan<float> tile, int tileHeight, int tileWidth, out int outputs) =>
            {
                outputs = outputChannels;
                return Run(tile, tileHeight, tileWidth, outputChannels, runOptions, clock);
            })
            : Run(pixels, height, width, outputChannels, runOptions, clock);
        if (outputChannels == channels) return encoded;

        // DiagonalGaussianDistribution.sample: mean + exp(0.5 · clamp(logvar, -30, 20)) · ε.
        var latents = encoded[..latentLength];
        var epsilon = new float[latentLength];
        noise.NextGaussian(epsilon);
        for (var i = 0; i < latentLength; i++)
            latents[i] += MathF.Exp(0.5f * Math.Clamp(encoded[latentLength + i], -30f, 20f)) * epsilon[i];
        return latents;
    }

    /// <summary>The encoder's output [outputChannels, height/8, width/8] for pixels [3, height, width].</summary>
    private float[] Run(ReadOnlySpan<float> pixels, int height, int width, int outputChannels, RunOptions runOptions, OnnxClock clock)
    {
        using var input = OnnxTensor.Allocate(_input.ElementType, 1, 3, height, width);
        using var output = OnnxTensor.Allocate(_output.ElementType, 1, outputChannels, height / 8, width / 8);
        input.Write(pixels);
        clock.Run((this, input, output, runOptions), static s =>
        {
            s.Item1._file.Session.Run(s.runOptions, s.Item1._inputNames, [s.input.Value], [s.Item1._output.Name], [s.output.Value]);
            return 0;
        });
        var encoded = new float[output.Length];
        output.Read(encoded);
        return encoded;
    }

    public void Dispose() => _file.Dispose();
}
