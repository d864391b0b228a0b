using System.Diagnostics;
using Gateway.Diffusion.Imaging;

namespace Gateway.Bench;

/// <summary>Encode times of generated-looking pictures: smooth gradients with mild noise, as diffusion output is.</summary>
public static class CodecBench
{
    public static IEnumerable<(string Name, double Value)> Run(int repeats)
    {
        foreach (var size in new[] { 512, 1024 })
        {
            var image = Picture(size, size);
            foreach (var format in new[] { ImageFormat.Png, ImageFormat.Jpeg, ImageFormat.Webp })
            {
                // A second of calls first: the JIT tiers the encoders' managed code up only after dozens of calls.
                var warming = Stopwatch.GetTimestamp();
                while (Stopwatch.GetElapsedTime(warming) < TimeSpan.FromSeconds(1)) ImageCodec.Encode(image, format);
                var times = new List<double>();
                var bytes = 0;
                for (var i = 0; i < repeats; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    bytes = ImageCodec.Encode(image, format).Length;
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                var name = $"{format.Extension()}_encode_{size}";
                yield return ($"{name}_ms", Median(times));
                yield return ($"{name}_kib", bytes / 1024.0);
            }
        }
    }

    public static PixelImage Picture(int width, int height)
    {
        var image = new PixelImage(width, height);
        var random = new Random(7);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var i = 4 * (y * width + x);
                var u = x / (double)width;
                var v = y / (double)height;
                image.Rgba[i] = Clamp(255 * (0.5 + 0.4 * Math.Sin(6 * u + 2 * v)) + random.Next(-6, 7));
                image.Rgba[i + 1] = Clamp(255 * (0.5 + 0.4 * Math.Cos(5 * v - 3 * u)) + random.Next(-6, 7));
                image.Rgba[i + 2] = Clamp(255 * (0.3 + 0.5 * u * v) + random.Next(-6, 7));
                image.Rgba[i + 3] = 255;
            }
        return image;
    }

    public static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static byte Clamp(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
