using System.Numerics;
using System.Runtime.InteropServices;

namespace Gateway.Diffusion.Imaging;

/// <summary>Between VAE tensors (planar RGB in [-1, 1]) and 8-bit images, as diffusers' image processor does.</summary>
public static class VaeImageConversion
{
    /// <summary>
    /// diffusers: <c>(x / 2 + 0.5).clamp(0, 1)</c>, then <c>(x * 255).round()</c>, with the same float32 operations in
    /// the same order (so the same bytes), fused into one vectorised pass that writes whole RGBA pixels. NaN, which an
    /// overflowing float16 VAE can produce, becomes 0.
    /// </summary>
    public static PixelImage ToImage(ReadOnlySpan<float> planar, int width, int height)
    {
        var plane = width * height;
        if (planar.Length != 3 * plane) throw new ArgumentException($"Expected {3 * plane} values for {width}x{height}, got {planar.Length}.");
        // Every byte is written below, so the buffer need not be zeroed first.
        var image = new PixelImage(width, height, GC.AllocateUninitializedArray<byte>(checked(4 * plane)));
        var red = planar[..plane];
        var green = planar.Slice(plane, plane);
        var blue = planar.Slice(2 * plane, plane);
        var i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            // One uint per pixel: R in the low byte, so memory order is R, G, B, A.
            var pixels = MemoryMarshal.Cast<byte, uint>(image.Rgba.AsSpan());
            var opaque = new Vector<uint>(0xFF000000);
            for (; i <= plane - Vector<float>.Count; i += Vector<float>.Count)
            {
                var pixel = ToByte(new Vector<float>(red[i..]))
                    | (ToByte(new Vector<float>(green[i..])) << 8)
                    | (ToByte(new Vector<float>(blue[i..])) << 16)
                    | opaque;
                pixel.CopyTo(pixels[i..]);
            }
        }

        var rgba = image.Rgba;
        for (; i < plane; i++)
        {
            rgba[4 * i] = ToByte(red[i]);
            rgba[4 * i + 1] = ToByte(green[i]);
            rgba[4 * i + 2] = ToByte(blue[i]);
            rgba[4 * i + 3] = 255;
        }
        return image;
    }

    private static Vector<uint> ToByte(Vector<float> x)
    {
        // Max and Min propagate NaN, as torch's clamp does; the conversion saturates and turns NaN into 0.
        var unit = Vector.Min(Vector.Max(x * 0.5f + new Vector<float>(0.5f), Vector<float>.Zero), Vector<float>.One);
        return Vector.AsVectorUInt32(Vector.ConvertToInt32(Vector.Round(unit * 255f)));
    }

    private static byte ToByte(float x)
    {
        var unit = float.Min(float.Max(x * 0.5f + 0.5f, 0f), 1f);
        return (byte)MathF.Round(unit * 255f, MidpointRounding.ToEven);
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
