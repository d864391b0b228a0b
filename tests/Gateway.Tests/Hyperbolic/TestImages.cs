using Gateway.Diffusion.Imaging;

namespace Gateway.Tests.Hyperbolic;

/// <summary>Input images for image-to-image and the measure used to compare pictures.</summary>
public static class TestImages
{
    public static PixelImage Gradient(int width, int height)
    {
        var image = new PixelImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var i = 4 * (y * width + x);
                (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]) =
                    ((byte)(255 * x / width), (byte)(255 * y / height), 128, 255);
            }
        return image;
    }

    public static PixelImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var image = new PixelImage(width, height);
        for (var i = 0; i < image.Rgba.Length; i += 4)
            (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]) = (r, g, b, 255);
        return image;
    }

    public static string Base64(PixelImage image, ImageFormat format = ImageFormat.Png) =>
        Convert.ToBase64String(ImageCodec.Encode(image, format));

    /// <summary>Mean absolute difference of the colour channels, 0..255; the images must have the same size.</summary>
    public static double MeanAbsoluteDifference(PixelImage a, PixelImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long sum = 0;
        for (var i = 0; i < a.Rgba.Length; i++)
            if (i % 4 != 3) sum += Math.Abs(a.Rgba[i] - b.Rgba[i]);
        return sum / (a.Rgba.Length * 0.75);
    }
}
