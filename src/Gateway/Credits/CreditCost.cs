namespace Gateway.Credits;

/// <summary>The price of one image: a 1024×1024 image at 20 steps costs the model's multiplier (1.0 for SDXL-class
/// models, less for SD 1.5), scaling linearly with pixels and steps.</summary>
public static class CreditCost
{
    private const double ReferencePixels = 1024.0 * 1024.0;
    private const double ReferenceSteps = 20.0;

    /// <summary>width × height / 1024² × steps / 20 × multiplier, rounded to six decimals so ledger sums stay exact enough to read.</summary>
    public static double For(int width, int height, int steps, double multiplier) =>
        Math.Round(width * (double)height / ReferencePixels * (steps / ReferenceSteps) * multiplier, 6, MidpointRounding.AwayFromZero);
}
