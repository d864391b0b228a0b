using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>LMSDiscreteScheduler</c> ("LMS"): linear multistep of order 4 over the ODE derivatives
/// d = (x − x₀)/σ, x ← x + Σ_k c_k·d_{i−k}, where c_k integrates the k-th Lagrange basis polynomial through the last
/// sigmas over [σ_i, σ_{i+1}].
/// </summary>
public sealed class LmsDiscreteScheduler : SigmaScheduler
{
    /// <summary>diffusers' default <c>order</c> argument of <c>step</c>.</summary>
    public const int Order = 4;

    // Coefficients for index i at [i * Order + k], precomputed so that a step neither integrates nor allocates.
    private readonly double[] _coefficients;
    private readonly float[]?[] _derivatives = new float[Order][];
    private int _derivativeCount;
    private int _newest = -1;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps; <c>use_karras_sigmas</c> comes from the config
    /// unless <paramref name="useKarrasSigmas"/> overrides it.</summary>
    public LmsDiscreteScheduler(SchedulerConfig config, int inferenceSteps, bool? useKarrasSigmas = null)
        : base(config, inferenceSteps, acceptsZeroSnrRescale: false, useKarrasSigmas)
    {
        _coefficients = new double[TimestepValues.Length * Order];
        for (var i = 0; i < TimestepValues.Length; i++)
        {
            var order = OrderAt(i);
            for (var k = 0; k < order; k++)
                _coefficients[i * Order + k] = Coefficient(Sigmas, order, i, k);
        }
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        CheckStep(modelOutput, index, sample, noise);
        var coefficients = new SigmaCoefficients(Sigmas[index]);

        _newest = (_newest + 1) % Order;
        var derivative = SchedulerMath.Buffer(ref _derivatives[_newest], sample.Length);
        _derivativeCount = Math.Min(_derivativeCount + 1, Order);
        Derivative(sample, modelOutput, coefficients, derivative);

        // diffusers zips min(index + 1, 4) coefficients with the newest derivatives first; after an image-to-image start
        // there are fewer derivatives than coefficients and zip stops at the shorter.
        var terms = Math.Min(OrderAt(index), _derivativeCount);
        var c0 = (float)_coefficients[index * Order];
        var c1 = terms > 1 ? (float)_coefficients[index * Order + 1] : 0f;
        var c2 = terms > 2 ? (float)_coefficients[index * Order + 2] : 0f;
        var c3 = terms > 3 ? (float)_coefficients[index * Order + 3] : 0f;
        var d0 = derivative;
        var d1 = terms > 1 ? _derivatives[(_newest + Order - 1) % Order]! : derivative;
        var d2 = terms > 2 ? _derivatives[(_newest + Order - 2) % Order]! : derivative;
        var d3 = terms > 3 ? _derivatives[(_newest + Order - 3) % Order]! : derivative;
        for (var i = 0; i < sample.Length; i++)
        {
            // Summed in diffusers' order: ((c0·d0 + c1·d1) + c2·d2) + c3·d3, then added to the sample.
            var sum = c0 * d0[i];
            if (terms > 1)
                sum += c1 * d1[i];
            if (terms > 2)
                sum += c2 * d2[i];
            if (terms > 3)
                sum += c3 * d3[i];
            sample[i] += sum;
        }
    }

    /// <summary>The LMS order at evaluation <paramref name="index"/>: min(index + 1, 4).</summary>
    private static int OrderAt(int index) => Math.Min(index + 1, Order);

    /// <summary>
    /// diffusers' <c>get_lms_coefficient</c>: ∫_{σ_t}^{σ_{t+1}} ∏_{k≠j} (τ − σ_{t−k})/(σ_{t−j} − σ_{t−k}) dτ.
    /// diffusers integrates with scipy's adaptive quad; the integrand is a polynomial of degree order − 1 ≤ 3, which
    /// two-point Gauss–Legendre integrates exactly, so this equals quad's result up to rounding.
    /// </summary>
    internal static double Coefficient(ReadOnlySpan<float> sigmas, int order, int t, int currentOrder)
    {
        double a = sigmas[t], b = sigmas[t + 1];
        var half = (b - a) / 2;
        var mid = (a + b) / 2;
        var offset = half / Math.Sqrt(3);
        return half * (LagrangeBasis(sigmas, order, t, currentOrder, mid - offset) + LagrangeBasis(sigmas, order, t, currentOrder, mid + offset));
    }

    private static double LagrangeBasis(ReadOnlySpan<float> sigmas, int order, int t, int currentOrder, double tau)
    {
        var product = 1.0;
        for (var k = 0; k < order; k++)
        {
            if (k == currentOrder)
                continue;
            product *= (tau - sigmas[t - k]) / ((double)sigmas[t - currentOrder] - sigmas[t - k]);
        }
        return product;
    }
}
