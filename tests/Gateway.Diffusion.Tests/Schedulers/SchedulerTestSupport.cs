using System.Globalization;
using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Tests.Schedulers;

/// <summary>Deterministic stand-in for the torch generator: element k of the stream is <c>sin(k + 1)</c>.
/// Records every draw so tests can see how often and how much a scheduler asked for.</summary>
internal sealed class FakeNoiseSource : INoiseSource
{
    private int _next;

    public List<float[]> Draws { get; } = [];

    public static float ValueAt(int k) => MathF.Sin(k + 1);

    public void NextGaussian(Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++)
            destination[i] = ValueAt(_next++);
        Draws.Add(destination.ToArray());
    }
}

internal static class SchedulerTestSupport
{
    /// <summary>Stable Diffusion's scheduler settings (scaled_linear 0.00085 → 0.012, steps_offset 1).</summary>
    public static SchedulerConfig StableDiffusion { get; } = new()
    {
        BetaStart = 0.00085,
        BetaEnd = 0.012,
        BetaSchedule = BetaSchedule.ScaledLinear,
        StepsOffset = 1,
        SetAlphaToOne = false,
        ClipSample = false,
        SkipPrkSteps = true,
    };

    public static float[] LoadFixture(string name)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", name));
        return text.Split([',', '\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture))
            .ToArray();
    }

    /// <summary>The reference README's tolerance for the goldens: relative 1e-5, absolute 1e-4 above 10.</summary>
    /// <param name="expected">The golden values.</param>
    /// <param name="actual">The computed values.</param>
    /// <param name="printedDecimals">For a file written with a fixed number of decimals rather than 6 significant digits,
    /// that number: its values are only known to half a unit in that place, which is added to the tolerance.</param>
    public static void AssertGolden(IReadOnlyList<float> expected, IReadOnlyList<float> actual, int? printedDecimals = null)
    {
        Assert.Equal(expected.Count, actual.Count);
        var printing = printedDecimals is { } decimals ? 0.5 * Math.Pow(10, -decimals) : 0;
        for (var i = 0; i < expected.Count; i++)
        {
            double e = expected[i], a = actual[i];
            var tolerance = (Math.Abs(e) > 10 ? 1e-4 : 1e-5 * Math.Abs(e)) + printing;
            Assert.True(Math.Abs(a - e) <= tolerance, $"Element {i}: expected {e:R}, got {a:R} (tolerance {tolerance:G3}).");
        }
    }

    /// <summary>Relative comparison for values derived by hand in double precision.</summary>
    public static void AssertClose(double expected, double actual, double relative = 1e-5, double absolute = 1e-7)
    {
        Assert.True(Math.Abs(actual - expected) <= Math.Max(relative * Math.Abs(expected), absolute),
            $"Expected {expected:R}, got {actual:R}.");
    }

    /// <summary>A small deterministic latent: 2×4×4 values in about [−1, 1].</summary>
    public static float[] Latent(int length = 32, int seed = 0)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
            values[i] = MathF.Cos(1.3f * i + seed) * (0.5f + 0.5f * ((i * 7 + seed) % 5) / 4f);
        return values;
    }

    /// <summary>diffusers' test model <c>sample · t / (t + 1)</c>, in float32 as torch computes it.</summary>
    public static void DummyModel(ReadOnlySpan<float> sample, float t, Span<float> output)
    {
        for (var i = 0; i < sample.Length; i++)
            output[i] = sample[i] * t / (t + 1);
    }

    /// <summary>Every scheduler the factory offers, built from the Stable Diffusion settings.</summary>
    public static IEnumerable<object[]> AllNames() => SchedulerFactory.Names.Select(name => new object[] { name });
}
