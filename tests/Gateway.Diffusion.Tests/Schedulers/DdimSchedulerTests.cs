using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class DdimSchedulerTests
{
    [Fact]
    public void FiftyLeadingStepsRunFrom981To1()
    {
        var scheduler = new DdimScheduler(StableDiffusion, 50);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => 981f - 20 * i), scheduler.Timesteps);
    }

    [Theory]
    [InlineData(3, new[] { 999f, 666, 332 })]
    [InlineData(4, new[] { 999f, 749, 499, 249 })]
    public void TrailingStepsCountDownFrom999(int steps, float[] expected)
    {
        Assert.Equal(expected, new DdimScheduler(StableDiffusion with { TimestepSpacing = TimestepSpacing.Trailing }, steps).Timesteps);
    }

    [Fact]
    public void TrailingNeverProducesANegativeTimestep()
    {
        // numpy's arange gives 62 values for 61 steps (1000 / (1000 / 61) rounds above 61); the extra one is dropped.
        var scheduler = new DdimScheduler(StableDiffusion with { TimestepSpacing = TimestepSpacing.Trailing }, 61);

        Assert.Equal(61, scheduler.Timesteps.Count);
        Assert.Equal(15f, scheduler.Timesteps[^1]);
    }

    [Fact]
    public void VPredictionStepMatchesTheFormulas()
    {
        // t = 901 → 801 with 10 steps; η = 0.
        var scheduler = new DdimScheduler(StableDiffusion with { PredictionType = PredictionType.VPrediction }, 10);
        var alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm));
        double alpha = alphasCumprod[901], alphaPrev = alphasCumprod[801];
        var sample = Latent();
        var v = Latent(seed: 4);
        var expected = new double[sample.Length];
        for (var i = 0; i < sample.Length; i++)
        {
            var x0 = Math.Sqrt(alpha) * sample[i] - Math.Sqrt(1 - alpha) * v[i];
            var epsilon = Math.Sqrt(alpha) * v[i] + Math.Sqrt(1 - alpha) * sample[i];
            expected[i] = Math.Sqrt(alphaPrev) * x0 + Math.Sqrt(1 - alphaPrev) * epsilon;
        }

        scheduler.Step(v, 0, sample, new FakeNoiseSource());

        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i], 1e-5, 1e-6);
    }

    [Fact]
    public void EtaAddsScaledNoiseFromTheSource()
    {
        const double eta = 0.7;
        var deterministic = new DdimScheduler(StableDiffusion, 10);
        var stochastic = new DdimScheduler(StableDiffusion, 10, eta);
        var alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm));
        double alpha = alphasCumprod[501], alphaPrev = alphasCumprod[401];
        var std = eta * Math.Sqrt((1 - alphaPrev) / (1 - alpha) * (1 - alpha / alphaPrev));
        var epsilon = Latent(seed: 1);
        var start = Latent();
        var plainNoise = new FakeNoiseSource();
        var noisyNoise = new FakeNoiseSource();

        var plain = start.ToArray();
        deterministic.Step(epsilon, 4, plain, plainNoise);
        var noisy = start.ToArray();
        stochastic.Step(epsilon, 4, noisy, noisyNoise);

        Assert.Empty(plainNoise.Draws);
        var drawn = Assert.Single(noisyNoise.Draws);
        Assert.Equal(start.Length, drawn.Length);
        for (var i = 0; i < start.Length; i++)
        {
            // Same x₀, a direction shortened to √(1 − ᾱ_prev − σ²), plus σ·z.
            var x0 = (start[i] - Math.Sqrt(1 - alpha) * epsilon[i]) / Math.Sqrt(alpha);
            var expected = Math.Sqrt(alphaPrev) * x0 + Math.Sqrt(1 - alphaPrev - std * std) * epsilon[i] + std * drawn[i];
            AssertClose(expected, noisy[i], 1e-5, 1e-6);
            Assert.NotEqual(plain[i], noisy[i]);
        }
    }

    [Fact]
    public void LastStepWithAlphaOneReturnsThePredictedOriginal()
    {
        var scheduler = new DdimScheduler(StableDiffusion with { SetAlphaToOne = true }, 10);
        double alpha = scheduler.AlphasCumprod[1];
        var sample = Latent();
        var epsilon = Latent(seed: 6);
        var expected = sample.Select((x, i) => (x - Math.Sqrt(1 - alpha) * epsilon[i]) / Math.Sqrt(alpha)).ToArray();

        scheduler.Step(epsilon, 9, sample, new FakeNoiseSource());

        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i], 1e-5, 1e-6);
    }

    [Fact]
    public void ClipSampleDefaultsToDdimsTrue()
    {
        // A config without clip_sample (PNDM has no such key) gets DDIMScheduler's default, as from_config does.
        var config = StableDiffusion with { ClipSample = null, SetAlphaToOne = true };
        var scheduler = new DdimScheduler(config, 10);
        var sample = Enumerable.Repeat(40f, 8).ToArray();
        var epsilon = new float[8];

        scheduler.Step(epsilon, 9, sample, new FakeNoiseSource());

        Assert.All(sample, x => Assert.Equal(1f, x)); // x₀ = 40/√ᾱ clipped to 1, ᾱ_prev = 1
    }
}
