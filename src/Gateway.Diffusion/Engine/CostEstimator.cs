using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// Learns, per model, how long a run takes as a fixed cost plus a cost per unit of work (steps × megapixels ×
/// images), by a least-squares fit over recent runs that forgets old ones, so the queue can tell a client at once
/// when a deadline cannot be met. A fixed part matters: without it a tiny job's text encoding and VAE time would be
/// read as per-pixel cost and make every large job look far slower than it is.
/// </summary>
internal sealed class CostEstimator
{
    private const double Forgetting = 0.9;
    private readonly Dictionary<string, Fit> _fits = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public static double Units(GenerationRequest request, int defaultSteps) =>
        Math.Max(1, request.Steps ?? defaultSteps) * (request.Width * (double)request.Height / 1e6) * Math.Max(1, request.ImageCount);

    /// <summary>The expected run time, or null before the model has run once.</summary>
    public TimeSpan? Estimate(string model, double units)
    {
        lock (_lock)
            return _fits.TryGetValue(model, out var fit) ? TimeSpan.FromSeconds(fit.Predict(units)) : null;
    }

    public void Observe(string model, double units, TimeSpan elapsed)
    {
        if (units <= 0) return;
        lock (_lock)
        {
            if (!_fits.TryGetValue(model, out var fit)) _fits[model] = fit = new Fit();
            fit.Add(units, elapsed.TotalSeconds);
        }
    }

    /// <summary>Exponentially weighted sums for seconds ≈ fixed + perUnit × units.</summary>
    private sealed class Fit
    {
        private double _w, _x, _y, _xx, _xy;

        public void Add(double units, double seconds)
        {
            (_w, _x, _y, _xx, _xy) = (Forgetting * _w + 1, Forgetting * _x + units, Forgetting * _y + seconds,
                Forgetting * _xx + units * units, Forgetting * _xy + units * seconds);
        }

        public double Predict(double units)
        {
            var spread = _w * _xx - _x * _x;
            // Too little variety in sizes to separate the two costs: assume time in proportion to work.
            if (spread <= 1e-12 * _w * _xx) return _y / _x * units;
            var perUnit = (_w * _xy - _x * _y) / spread;
            var fixedCost = (_y - perUnit * _x) / _w;
            if (perUnit <= 0 || fixedCost < 0) return _y / _x * units;
            return fixedCost + perUnit * units;
        }
    }
}
