using System.Numerics.Tensors;

namespace Gateway.Diffusion.Imaging;

/// <summary>Between VAE tensors (planar RGB in [-1, 1]) and 8-bit images, as diffusers' image processor does.</summary>
public static class VaeImageConversion
{
    /// <summary>diffusers: <c>(x / 2 + 0.5).clamp(0, 1)</c>, then <c>(x * 255).round()</c>, in the same order (SIMD).</summary>
    public static PixelImage ToImage(ReadOnlySpan<float> planar, int width, int height)
    {
        var plane = width * height;
        if (planar.Length != 3 * plane) throw new ArgumentException($"Expected {3 * plane} values for {width}x{height}, got {planar.Length}.");
        var image = new PixelImage(width, height);
        var rgba = image.Rgba;
        var scaled = new float[plane];
        for (var c = 0; c < 3; c++)
        {
            TensorPrimitives.Multiply(planar.Slice(c * plane, plane), 0.5f, scaled);
            TensorPrimitives.Add(scaled, 0.5f, scaled);
            TensorPrimitives.Max(scaled, 0f, scaled);
            TensorPrimitives.Min(scaled, 1f, scaled);
            TensorPrimitives.Multiply(scaled, 255f, scaled);
            TensorPrimitives.Round(scaled, MidpointRounding.ToEven, scaled);
            for (var i = 0; i < plane; i++) rgba[4 * i + c] = (byte)scaled[i];
        }
        for (var i = 0; i < plane; i++) rgba[4 * i + 3] = 255;
        return image;
    }

    /// <summary>diffusers' preprocessing for the VAE encoder: <c>2 · (x / 255) − 1</c>, planar.</summary>
    public static float[] ToPlanar(PixelImage image)
    {
        var plane = image.Width * image.Height;
        var planar = new float[3 * plane];
        var rgba = image.Rgba;
        for (var c = 0; c < 3; c++)
            for (var i = 0; i < plane; i++)
                planar[c * plane + i] = rgba[4 * i + c] / 127.5f - 1f;
        return planar;
    }
}
