using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Models;

/// <summary>
/// Decides the size a model renders at for a requested output size. An <see cref="RenderMode.Exact"/> model renders
/// the requested size. A <see cref="RenderMode.NativeArea"/> model is trained on one pixel area (SD 1.5: 512²) and
/// composes badly far from it, so it renders at its native area in the requested aspect ratio and the caller resizes
/// the result to the requested size.
/// </summary>
public static class RenderSizePlanner
{
    /// <summary>Rendered sides are multiples of this: the latent grid is /8 and UNets down-sample it three more times.</summary>
    public const int Granularity = 64;

    /// <summary>
    /// The render size for <paramref name="requested"/>. The native-area rule: the ideal sides are
    /// √(area·r) × √(area/r) for the native area and the requested ratio r; each is rounded down and up to a multiple
    /// of 64 (at least 64, at most the model's max side), and of those four candidates the one whose ratio is closest
    /// to r (by |ln ratio − ln r|) wins, ties going to the area closest to the native one.
    /// </summary>
    /// <exception cref="InvalidGenerationRequestException">A requested side is below 64 or beyond the model's max side.</exception>
    public static ImageSize Plan(ModelCatalogEntry model, ImageSize requested) =>
        Plan(model.Render, model.NativeSize, model.MaxSide, requested);

    /// <inheritdoc cref="Plan(ModelCatalogEntry, ImageSize)"/>
    public static ImageSize Plan(RenderMode mode, ImageSize native, int maxSide, ImageSize requested)
    {
        if (requested.Width < Granularity || requested.Height < Granularity || requested.Width > maxSide || requested.Height > maxSide)
            throw new InvalidGenerationRequestException("size",
                $"The size {requested} is outside what the model accepts: each side from {Granularity} to {maxSide} pixels.");
        if (mode == RenderMode.Exact || requested == native) return requested;

        var ratio = (double)requested.Width / requested.Height;
        var area = (double)native.Pixels;
        var widths = Neighbours(Math.Sqrt(area * ratio), maxSide);
        var heights = Neighbours(Math.Sqrt(area / ratio), maxSide);
        return widths.SelectMany(w => heights.Select(h => new ImageSize(w, h)))
            .OrderBy(c => Math.Round(Math.Abs(Math.Log((double)c.Width / c.Height / ratio)), 9))
            .ThenBy(c => Math.Abs(c.Pixels - area))
            .First();
    }

    /// <summary>The multiples of 64 just below and above <paramref name="ideal"/>, kept within 64..<paramref name="maxSide"/>.</summary>
    private static int[] Neighbours(double ideal, int maxSide)
    {
        var largest = Math.Max(Granularity, maxSide / Granularity * Granularity);
        var below = Math.Clamp((int)Math.Floor(ideal / Granularity) * Granularity, Granularity, largest);
        var above = Math.Clamp((int)Math.Ceiling(ideal / Granularity) * Granularity, Granularity, largest);
        return below == above ? [below] : [below, above];
    }
}
