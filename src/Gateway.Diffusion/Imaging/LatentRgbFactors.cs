using System.Numerics.Tensors;
using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Imaging;

/// <summary>
/// A linear map from one latent pixel to RGB in [-1, 1]: rgb = Σ latent[c]·factors[c] + bias. The factors are
/// ComfyUI's <c>latent_rgb_factors</c> (and <c>latent_rgb_factors_bias</c>) from comfy/latent_formats.py at commit
/// 040a3243468ecefd1f2802592d90458f1ce4d65f, fitted there on the scaled latents the sampler works on, which are the
/// latents here too (VAE latents × scaling factor, less Flux's shift first).
/// </summary>
public sealed class LatentRgbFactors
{
    // ComfyUI SD15 (SD 2.x uses the same latent format).
    private static readonly LatentRgbFactors Sd15 = new([
        [0.3512f, 0.2297f, 0.3227f],
        [0.3250f, 0.4974f, 0.2350f],
        [-0.2829f, 0.1762f, 0.2721f],
        [-0.2120f, -0.2616f, -0.7177f],
    ], [0f, 0f, 0f]);

    // ComfyUI SDXL.
    private static readonly LatentRgbFactors Sdxl = new([
        [0.3651f, 0.4232f, 0.4341f],
        [-0.2533f, -0.0042f, 0.1068f],
        [0.1076f, 0.1111f, -0.0362f],
        [-0.3165f, -0.2492f, -0.2188f],
    ], [0.1084f, -0.0175f, -0.0011f]);

    // ComfyUI Flux.
    private static readonly LatentRgbFactors Flux = new([
        [-0.0346f, 0.0244f, 0.0681f],
        [0.0034f, 0.0210f, 0.0687f],
        [0.0275f, -0.0668f, -0.0433f],
        [-0.0174f, 0.0160f, 0.0617f],
        [0.0859f, 0.0721f, 0.0329f],
        [0.0004f, 0.0383f, 0.0115f],
        [0.0405f, 0.0861f, 0.0915f],
        [-0.0236f, -0.0185f, -0.0259f],
        [-0.0245f, 0.0250f, 0.1180f],
        [0.1008f, 0.0755f, -0.0421f],
        [-0.0515f, 0.0201f, 0.0011f],
        [0.0428f, -0.0012f, -0.0036f],
        [0.0817f, 0.0765f, 0.0749f],
        [-0.1264f, -0.0522f, -0.1103f],
        [-0.0280f, -0.0881f, -0.0499f],
        [-0.1262f, -0.0982f, -0.0778f],
    ], [-0.0329f, -0.0718f, -0.0851f]);

    private readonly float[][] _factors;
    private readonly float[] _bias;

    private LatentRgbFactors(float[][] factors, float[] bias) => (_factors, _bias) = (factors, bias);

    /// <summary>The latent channels the map reads.</summary>
    public int Channels => _factors.Length;

    public static LatentRgbFactors For(ModelFamily family) => family.IsFlux() ? Flux : family.IsXl() ? Sdxl : Sd15;

    /// <summary>Planar latents [channels, height, width] of one image to an RGB image of height × width, as ComfyUI's
    /// Latent2RGBPreviewer: clamp to [-1, 1], then (v + 1)·127.5 rounded half to even (torch's round).</summary>
    public PixelImage ToImage(ReadOnlySpan<float> latents, int height, int width)
    {
        var plane = height * width;
        if (latents.Length != Channels * plane)
            throw new ArgumentException($"Latents of {Channels}x{height}x{width} have {Channels * plane} values, not {latents.Length}.", nameof(latents));
        // One vectorised pass per colour and channel over whole planes: a preview is made every step.
        var colour = new float[plane];
        var image = new PixelImage(width, height);
        var rgba = image.Rgba;
        for (var k = 0; k < 3; k++)
        {
            colour.AsSpan().Fill(_bias[k]);
            for (var c = 0; c < _factors.Length; c++)
                TensorPrimitives.MultiplyAdd(latents.Slice(c * plane, plane), _factors[c][k], colour, colour);
            TensorPrimitives.Max(colour, -1f, colour);
            TensorPrimitives.Min(colour, 1f, colour);
            TensorPrimitives.Add(colour, 1f, colour);
            TensorPrimitives.Multiply(colour, 127.5f, colour);
            TensorPrimitives.Round(colour, colour);
            for (var p = 0; p < plane; p++) rgba[p * 4 + k] = (byte)colour[p];
        }
        for (var p = 0; p < plane; p++) rgba[p * 4 + 3] = 255;
        return image;
    }
}
