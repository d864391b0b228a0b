using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class LmsDiscreteSchedulerTests
{
    private static readonly LmsDiscreteScheduler Scheduler = new(StableDiffusion, 10);

    [Fact]
    public void FirstOrderCoefficientIsTheSigmaStep()
    {
        var sigmas = Scheduler.Sigmas;
        for (var t = 0; t < 10; t++)
            AssertClose(sigmas[t + 1] - (double)sigmas[t], LmsDiscreteScheduler.Coefficient(sigmas, 1, t, 0), 1e-12);
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(3, 5)]
    [InlineData(4, 5)]
    [InlineData(4, 9)]
    public void CoefficientsIntegrateLowDegreePolynomialsExactly(int order, int t)
    {
        // The Lagrange basis through σ_t … σ_{t−order+1} reproduces 1 and τ, so Σc = Δσ and Σc·σ = (b² − a²)/2.
        var sigmas = Scheduler.Sigmas;
        double a = sigmas[t], b = sigmas[t + 1];
        var coefficients = Enumerable.Range(0, order).Select(k => LmsDiscreteScheduler.Coefficient(sigmas, order, t, k)).ToArray();

        AssertClose(b - a, coefficients.Sum(), 1e-10, 1e-12);
        AssertClose((b * b - a * a) / 2, coefficients.Select((c, k) => c * sigmas[t - k]).Sum(), 1e-10, 1e-12);
        var cubic = (Math.Pow(b, 4) - Math.Pow(a, 4)) / 4;
        if (order == 4)
            AssertClose(cubic, coefficients.Select((c, k) => c * Math.Pow(sigmas[t - k], 3)).Sum(), 1e-9, 1e-12);
    }

    [Fact]
    public void FirstStepEqualsAnEulerStep()
    {
        var lms = new LmsDiscreteScheduler(StableDiffusion, 10);
        var euler = new EulerDiscreteScheduler(StableDiffusion, 10);
        var output = Latent(seed: 7);
        var viaLms = Latent();
        var viaEuler = Latent();

        lms.Step(output, 0, viaLms, new FakeNoiseSource());
        euler.Step(output, 0, viaEuler, new FakeNoiseSource());

        for (var i = 0; i < viaLms.Length; i++)
            AssertClose(viaEuler[i], viaLms[i], 1e-6, 1e-7);
    }

    [Fact]
    public void SecondStepCombinesBothDerivatives()
    {
        var lms = new LmsDiscreteScheduler(StableDiffusion, 10);
        var sample = Latent();
        var first = Latent(seed: 1);
        var second = Latent(seed: 2);
        lms.Step(first, 0, sample, new FakeNoiseSource());
        var afterFirst = sample.ToArray();

        lms.Step(second, 1, sample, new FakeNoiseSource());

        // ε-prediction: each derivative is the model output; the newest pairs with the first coefficient.
        var c0 = LmsDiscreteScheduler.Coefficient(lms.Sigmas, 2, 1, 0);
        var c1 = LmsDiscreteScheduler.Coefficient(lms.Sigmas, 2, 1, 1);
        for (var i = 0; i < sample.Length; i++)
            AssertClose(afterFirst[i] + c0 * second[i] + c1 * first[i], sample[i], 1e-5, 1e-6);
    }
}
