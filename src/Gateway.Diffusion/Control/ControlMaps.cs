using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Control;

/// <summary>The control image of a run: resized to the output size, through the ControlNet's preprocessor (unless the
/// request sends the map itself), as the ControlNet takes it: planar RGB in [0, 1].</summary>
internal static class ControlMaps
{
    public static float[] Prepare(ControlPlan plan, int width, int height, RunOptions runOptions, OnnxClock clock)
    {
        var request = plan.Request;
        var image = ImageCodec.Resize(request.Image, width, height);
        if (request.Preprocess)
        {
            if (plan.Annotator is { } annotator) image = annotator.Annotate(image, runOptions, clock);
            else if (plan.Net.Entry.Preprocessor == Models.CatalogControlNets.Canny) image = CannyEdges.Detect(image, request.CannyLow, request.CannyHigh);
        }
        return ToUnitPlanar(image);
    }

    /// <summary>RGB of <paramref name="image"/> as planar [3, height, width] in [0, 1].</summary>
    public static float[] ToUnitPlanar(PixelImage image)
    {
        var plane = image.Width * image.Height;
        var planar = new float[3 * plane];
        var rgba = image.Rgba;
        for (var c = 0; c < 3; c++)
            for (var i = 0; i < plane; i++)
                planar[c * plane + i] = rgba[4 * i + c] / 255f;
        return planar;
    }

    /// <summary>A planar map of 1 (grey) or 3 channels in [0, 1] (clamped) as an image.</summary>
    public static PixelImage FromUnitPlanar(ReadOnlySpan<float> planar, int channels, int width, int height)
    {
        var image = new PixelImage(width, height);
        var plane = width * height;
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var value = planar[(channels == 3 ? c : 0) * plane + i];
                image.Rgba[4 * i + c] = (byte)MathF.Round(255f * Math.Clamp(float.IsNaN(value) ? 0f : value, 0f, 1f));
            }
            image.Rgba[4 * i + 3] = 255;
        }
        return image;
    }
}
