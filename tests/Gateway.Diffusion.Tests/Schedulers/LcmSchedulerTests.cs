using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class LcmSchedulerTests
{
    private static readonly SchedulerConfig Config = SchedulerConfig.Parse("""{"_class_name": "LCMScheduler"}""");

    [Theory]
    [InlineData(1, new[] { 999f })]
    [InlineData(2, new[] { 999f, 499 })]
    [InlineData(4, new[] { 999f, 759, 499, 259 })]
    public void TimestepsAreTakenFromTheFiftyStepDistillationSchedule(int steps, float[] expected)
    {
        Assert.Equal(expected, new LcmScheduler(Config, steps).Timesteps);
    }

    [Fact]
    public void BoundaryConditionsInterpolateBetweenIdentityAndPrediction()
    {
        var (skip0, out0) = LcmScheduler.BoundaryScalings(0, 10);
        Assert.Equal(1f, skip0);
        Assert.Equal(0f, out0);

        // c_skip = 0.25/(s² + 0.25), c_out = s/√(s² + 0.25) with s = 10·t.
        var (skip, output) = LcmScheduler.BoundaryScalings(999, 10);
        AssertClose(0.25 / (9990.0 * 9990 + 0.25), skip, 1e-6, 0);
        AssertClose(9990 / Math.Sqrt(9990.0 * 9990 + 0.25), output, 1e-7);
        (skip, output) = LcmScheduler.BoundaryScalings(1, 10);
        AssertClose(0.25 / 100.25, skip, 1e-6);
        AssertClose(10 / Math.Sqrt(100.25), output, 1e-6);
    }

    [Fact]
    public void StepsBeforeTheLastRenoiseToTheNextTimestep()
    {
        var scheduler = new LcmScheduler(Config, 2);
        var noise = new FakeNoiseSource();
        var sample = Latent();
        var epsilon = Latent(seed: 4);
        double alpha = scheduler.AlphasCumprod[999], alphaNext = scheduler.AlphasCumprod[499];
        var (skip, output) = LcmScheduler.BoundaryScalings(999, 10);
        var denoised = sample.Select((x, i) => output * ((x - Math.Sqrt(1 - alpha) * epsilon[i]) / Math.Sqrt(alpha)) + skip * x).ToArray();

        scheduler.Step(epsilon, 0, sample, noise);

        var drawn = Assert.Single(noise.Draws);
        for (var i = 0; i < sample.Length; i++)
            AssertClose(Math.Sqrt(alphaNext) * denoised[i] + Math.Sqrt(1 - alphaNext) * drawn[i], sample[i], 1e-5, 1e-6);
    }

    [Fact]
    public void LastStepReturnsTheDenoisedSampleWithoutNoise()
    {
        var scheduler = new LcmScheduler(Config, 2);
        var noise = new FakeNoiseSource();
        var sample = Latent();
        var epsilon = Latent(seed: 4);
        double alpha = scheduler.AlphasCumprod[499];
        var (skip, output) = LcmScheduler.BoundaryScalings(499, 10);
        var expected = sample.Select((x, i) => output * ((x - Math.Sqrt(1 - alpha) * epsilon[i]) / Math.Sqrt(alpha)) + skip * x).ToArray();

        scheduler.Step(epsilon, 1, sample, noise);

        Assert.Empty(noise.Draws);
        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i], 1e-5, 1e-6);
    }

    [Fact]
    public void RejectsMoreStepsThanTheOriginalSchedule()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LcmScheduler(Config, 51));
    }
}
