using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class EulerDiscreteSchedulerTests
{
    // The reference golden's config: scaled_linear, epsilon, steps_offset 1, leading, linear interpolation.
    private static readonly SchedulerConfig GoldenConfig = StableDiffusion with { TimestepSpacing = TimestepSpacing.Leading };

    [Fact]
    public void TenStepScheduleMatchesDiffusers()
    {
        var scheduler = new EulerDiscreteScheduler(GoldenConfig, 10);

        Assert.Equal([901f, 801, 701, 601, 501, 401, 301, 201, 101, 1], scheduler.Timesteps);
        AssertGolden(LoadFixture("euler_discrete_test_sigmas_2.txt"), scheduler.Sigmas);
        AssertGolden([8.4500665f], [scheduler.InitNoiseSigma]);
    }

    [Fact]
    public void FullLoopMatchesDiffusers()
    {
        var scheduler = new EulerDiscreteScheduler(GoldenConfig, 10);
        var noise = new FakeNoiseSource();
        var sample = LoadFixture("scheduler_test_random_samples.txt");
        for (var i = 0; i < sample.Length; i++)
            sample[i] *= scheduler.InitNoiseSigma;
        var output = new float[sample.Length];

        for (var i = 0; i < scheduler.Timesteps.Count; i++)
        {
            DummyModel(sample, scheduler.Timesteps[i], output);
            scheduler.ScaleModelInput(output, i, output);
            scheduler.Step(output, i, sample, noise);
        }

        AssertGolden(LoadFixture("euler_discrete_test_expected_output.txt"), sample);
        Assert.Empty(noise.Draws);
    }

    [Fact]
    public void TrailingFiftyStepsCountDownFrom999()
    {
        var scheduler = new EulerDiscreteScheduler(StableDiffusion with { TimestepSpacing = TimestepSpacing.Trailing }, 50);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => 999f - 20 * i), scheduler.Timesteps);
        // Trailing uses σmax itself as the initial noise scale.
        Assert.Equal(scheduler.Sigmas[0], scheduler.InitNoiseSigma);
    }

    [Fact]
    public void LinspaceTimestepsAreFractional()
    {
        var scheduler = new EulerDiscreteScheduler(StableDiffusion with { TimestepSpacing = TimestepSpacing.Linspace }, 4);

        Assert.Equal([999f, 666f, 333f, 0f], scheduler.Timesteps);
        scheduler = new EulerDiscreteScheduler(StableDiffusion with { TimestepSpacing = TimestepSpacing.Linspace }, 50);
        Assert.Equal((float)(999 - 999.0 / 49), scheduler.Timesteps[1]);
    }

    [Fact]
    public void KarrasSigmasSpanTheInterpolatedScheduleWithRho7()
    {
        var plain = new EulerDiscreteScheduler(GoldenConfig, 10);
        var karras = new EulerDiscreteScheduler(GoldenConfig, 10, useKarrasSigmas: true);

        double max = plain.Sigmas[0], min = plain.Sigmas[9];
        for (var i = 0; i < 10; i++)
        {
            var expected = Math.Pow(Math.Pow(max, 1 / 7.0) + i / 9.0 * (Math.Pow(min, 1 / 7.0) - Math.Pow(max, 1 / 7.0)), 7);
            AssertClose(expected, karras.Sigmas[i], 1e-6);
        }
        Assert.Equal(0f, karras.Sigmas[10]);
        // Each timestep is the fractional training timestep of its sigma: the ends map back to 901 and 1.
        AssertClose(901, karras.Timesteps[0], 1e-5);
        AssertClose(1, karras.Timesteps[9], 1e-4);
        Assert.Contains(karras.Timesteps, t => t != MathF.Round(t));
    }

    [Fact]
    public void VPredictionStepUsesCSkipAndCOut()
    {
        var scheduler = new EulerDiscreteScheduler(GoldenConfig with { PredictionType = PredictionType.VPrediction }, 10);
        var sample = Latent();
        var output = Latent(seed: 3);
        var expected = new double[sample.Length];
        double sigma = scheduler.Sigmas[2], next = scheduler.Sigmas[3];
        for (var i = 0; i < sample.Length; i++)
        {
            var x0 = output[i] * (-sigma / Math.Sqrt(sigma * sigma + 1)) + sample[i] / (sigma * sigma + 1);
            expected[i] = sample[i] + (sample[i] - x0) / sigma * (next - sigma);
        }

        scheduler.Step(output, 2, sample, new FakeNoiseSource());

        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i]);
    }

    [Fact]
    public void LogLinearInterpolationIsRejected()
    {
        var error = Assert.Throws<NotSupportedException>(
            () => new EulerDiscreteScheduler(GoldenConfig with { InterpolationType = InterpolationType.LogLinear }, 10));
        Assert.Contains("interpolation_type", error.Message);
    }
}
