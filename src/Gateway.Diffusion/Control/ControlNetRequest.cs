using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Control;

/// <summary>
/// A request's ControlNet: which one (a catalog id, or a control type such as <c>canny</c> that picks the catalog's
/// ControlNet of that type for the model's family), the control image, and how strongly and when it steers.
/// </summary>
public sealed record ControlNetRequest
{
    public const int DefaultCannyLow = 100, DefaultCannyHigh = 200;
    public const double MinScale = 0, MaxScale = 2;

    public required string Name { get; init; }
    /// <summary>The photo the preprocessor turns into a control map, or the map itself when <see cref="Preprocess"/> is off.
    /// Resized to the output size.</summary>
    public required PixelImage Image { get; init; }
    /// <summary>diffusers' <c>controlnet_conditioning_scale</c>, 0–2; null for the ControlNet's <c>default_scale</c>.</summary>
    public double? Scale { get; init; }
    /// <summary>Run the ControlNet's preprocessor on <see cref="Image"/>; false when the image already is the map.</summary>
    public bool Preprocess { get; init; } = true;
    /// <summary>The canny preprocessor's hysteresis thresholds (OpenCV's <c>threshold1</c>, <c>threshold2</c>).</summary>
    public int CannyLow { get; init; } = DefaultCannyLow;
    public int CannyHigh { get; init; } = DefaultCannyHigh;
    /// <summary>diffusers' <c>control_guidance_start</c> / <c>_end</c>: the fractions of the schedule between which the
    /// ControlNet steers; outside them the UNet gets zero residuals.</summary>
    public double GuidanceStart { get; init; }
    public double GuidanceEnd { get; init; } = 1;
}
