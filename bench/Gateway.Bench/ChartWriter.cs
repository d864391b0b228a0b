using Gateway.Diffusion.Imaging;
using SkiaSharp;

namespace Gateway.Bench;

/// <summary>A two-panel PNG: median latency and throughput against concurrency.</summary>
public static class ChartWriter
{
    public static void Write(string path, IReadOnlyList<LoadPoint> points, string title)
    {
        const int width = 1000, height = 420, margin = 60;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = LoadTypeface();
        using var font = new SKFont(typeface, 15);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, margin, 24, SKTextAlign.Left, font, ink);
        Panel(canvas, font, new SKRect(margin, 70, width / 2 - 50, height - margin), points, p => p.LatencyMs, "median latency (ms)", SKColors.SteelBlue);
        Panel(canvas, font, new SKRect(width / 2 + margin, 70, width - 50, height - margin), points, p => p.ImagesPerSecond, "images / s", SKColors.IndianRed);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>The Linux build of SkiaSharp we use has no fontconfig, so the default typeface draws nothing: load a
    /// common system font by path.</summary>
    private static SKTypeface LoadTypeface() =>
        new[]
        {
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
        }.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default;

    private static void Panel(SKCanvas canvas, SKFont font, SKRect area, IReadOnlyList<LoadPoint> points, Func<LoadPoint, double> value,
        string label, SKColor color)
    {
        using var axis = new SKPaint { Color = SKColors.Gray, StrokeWidth = 1, IsAntialias = true };
        using var line = new SKPaint { Color = color, StrokeWidth = 3, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawLine(area.Left, area.Bottom, area.Right, area.Bottom, axis);
        canvas.DrawLine(area.Left, area.Top, area.Left, area.Bottom, axis);
        canvas.DrawText(label, area.Left, area.Top - 6, SKTextAlign.Left, font, text);
        var max = Math.Max(1e-9, points.Max(value)) * 1.15;
        var maxConcurrency = points.Max(p => p.Concurrency);
        SKPoint At(LoadPoint p) => new(area.Left + (float)(p.Concurrency / (double)maxConcurrency * area.Width),
            area.Bottom - (float)(value(p) / max * area.Height));
        using var builder = new SKPathBuilder();
        builder.MoveTo(At(points[0]));
        foreach (var p in points.Skip(1)) builder.LineTo(At(p));
        using var pathLine = builder.Detach();
        canvas.DrawPath(pathLine, line);
        foreach (var p in points)
        {
            var at = At(p);
            canvas.DrawCircle(at, 4, text);
            canvas.DrawText($"{value(p):0.#}", at.X + 6, at.Y - 6, SKTextAlign.Left, font, text);
            canvas.DrawText($"{p.Concurrency}", at.X - 4, area.Bottom + 18, SKTextAlign.Left, font, text);
        }
        canvas.DrawText("concurrent requests", area.MidX - 60, area.Bottom + 40, SKTextAlign.Left, font, text);
    }
}
