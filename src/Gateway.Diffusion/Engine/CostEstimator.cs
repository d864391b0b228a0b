using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// Learns, per model, the seconds one generation takes per unit of work (steps × megapixels × images) from the
/// runs it has seen, so the queue can tell a client at once when a deadline cannot be met.
/// </summary>
internal sealed class CostEstimator
{
    private const double Smoothing = 0.3;
    private readonly Dictionary<string, double> _secondsPerUnit = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public static double Units(GenerationRequest request, int defaultSteps) =>
        Math.Max(1, request.Steps ?? defaultSteps) * (request.Width * (double)request.Height / 1e6) * Math.Max(1, request.ImageCount);

    /// <summary>The expected run time, or null before the model has run once.</summary>
    public TimeSpan? Estimate(string model, double units)
    {
        lock (_lock)
            return _secondsPerUnit.TryGetValue(model, out var rate) ? TimeSpan.FromSeconds(rate * units) : null;
    }

    public void Observe(string model, double units, TimeSpan elapsed)
    {
        if (units <= 0) return;
        var rate = elapsed.TotalSeconds / units;
        lock (_lock)
            _secondsPerUnit[model] = _secondsPerUnit.TryGetValue(model, out var old) ? old + Smoothing * (rate - old) : rate;
    }
}
