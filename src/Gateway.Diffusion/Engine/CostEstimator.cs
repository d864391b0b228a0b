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

    /// <summary>The fitted fixed seconds and seconds per unit of every model that has run.</summary>
    public IReadOnlyDictionary<string, RunCost> Costs()
    {
        lock (_lock) return _fits.ToDictionary(f => f.Key, f => f.Value.Coefficients(), StringComparer.Ordinal);
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

        public double Predict(double units) => Coefficients().Seconds(units);

        public RunCost Coefficients()
        {
            var spread = _w * _xx - _x * _x;
            // Too little variety in sizes to separate the two costs: assume time in proportion to work.
            if (spread <= 1e-12 * _w * _xx) return new RunCost(0, _y / _x);
            var perUnit = (_w * _xy - _x * _y) / spread;
            var fixedCost = (_y - perUnit * _x) / _w;
            if (perUnit <= 0 || fixedCost < 0) return new RunCost(0, _y / _x);
            return new RunCost(fixedCost, perUnit);
        }
    }
}

/// <summary>A model's run time as learned: <paramref name="FixedSeconds"/> + <paramref name="SecondsPerUnit"/> × units
/// (steps × megapixels × images).</summary>
public sealed record RunCost(double FixedSeconds, double SecondsPerUnit)
{
    public double Seconds(double units) => FixedSeconds + SecondsPerUnit * units;
}
