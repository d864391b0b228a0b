using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class PndmSchedulerTests
{
    // The reference golden loop's config: linear 0.0001 → 0.02, steps_offset 1, skip_prk_steps.
    private static readonly SchedulerConfig GoldenConfig = new() { StepsOffset = 1, SkipPrkSteps = true };

    [Fact]
    public void TenStepsRepeatTheSecondTimestep()
    {
        var scheduler = new PndmScheduler(GoldenConfig, 10);

        Assert.Equal([901f, 801, 801, 701, 601, 501, 401, 301, 201, 101, 1], scheduler.Timesteps);
    }

    [Fact]
    public void FiftyLeadingStepsRunFrom981To1()
    {
        var scheduler = new PndmScheduler(StableDiffusion, 50);

        var expected = Enumerable.Range(0, 50).Select(i => 981f - 20 * i).ToList();
        expected.Insert(1, 961f);
        Assert.Equal(expected, scheduler.Timesteps);
        AssertClose(1 - 0.00085, scheduler.FinalAlphaCumprod, 1e-7); // set_alpha_to_one false: ᾱ₀ ≈ 0.9991
    }

    [Fact]
    public void FullLoopMatchesDiffusers()
    {
        var scheduler = new PndmScheduler(GoldenConfig, 10);
        var noise = new FakeNoiseSource();
        var sample = LoadFixture("scheduler_test_random_samples.txt");
        var output = new float[sample.Length];

        for (var i = 0; i < scheduler.Timesteps.Count; i++)
        {
            DummyModel(sample, scheduler.Timesteps[i], output);
            scheduler.Step(output, i, sample, noise);
        }

        // This file holds 6 decimals, not 6 significant digits (it equals K·input with |error| <= 5.0e-7 for one
        // scalar K): values near 0.02 are known to 2e-5 relative only, so half a unit of the 6th decimal is allowed.
        AssertGolden(LoadFixture("pndm_test_expected_output.txt"), sample, printedDecimals: 6);
        Assert.Empty(noise.Draws);
    }

    [Fact]
    public void RungeKuttaScheduleCoversTheFourHighestTimesteps()
    {
        var scheduler = new PndmScheduler(GoldenConfig with { SkipPrkSteps = false }, 10);

        Assert.Equal(
            [901f, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1],
            scheduler.Timesteps);
    }

    [Fact]
    public void RungeKuttaStepWithConstantNoiseIsOneFormula9Step()
    {
        // With the same ε at all four stages the RK weights (1/6 + 1/3 + 1/3 + 1/6) give back ε, so after four
        // evaluations the sample is formula 9 applied once from 901 to 801.
        var scheduler = new PndmScheduler(GoldenConfig with { SkipPrkSteps = false }, 10);
        var start = Latent();
        var sample = start.ToArray();
        var epsilon = Latent(seed: 2);
        for (var i = 0; i < 4; i++)
            scheduler.Step(epsilon, i, sample, new FakeNoiseSource());

        double alpha = scheduler.AlphasCumprod[901], alphaPrev = scheduler.AlphasCumprod[801];
        var denominator = alpha * Math.Sqrt(1 - alphaPrev) + Math.Sqrt(alpha * (1 - alpha) * alphaPrev);
        for (var i = 0; i < sample.Length; i++)
        {
            var expected = Math.Sqrt(alphaPrev / alpha) * start[i] - (alphaPrev - alpha) * epsilon[i] / denominator;
            AssertClose(expected, sample[i], 1e-5, 1e-6);
        }
    }

    [Fact]
    public void SecondEvaluationRedoesTheFirstStepWithTheAveragedNoise()
    {
        var scheduler = new PndmScheduler(StableDiffusion, 10);
        var start = Latent();
        var sample = start.ToArray();
        var first = Latent(seed: 1);
        var second = Latent(seed: 2);

        scheduler.Step(first, 0, sample, new FakeNoiseSource());
        scheduler.Step(second, 1, sample, new FakeNoiseSource());

        // Both evaluations go from 901 to 801, starting from the initial sample, with ε = (ε₁ + ε₂)/2.
        double alpha = scheduler.AlphasCumprod[901], alphaPrev = scheduler.AlphasCumprod[801];
        var denominator = alpha * Math.Sqrt(1 - alphaPrev) + Math.Sqrt(alpha * (1 - alpha) * alphaPrev);
        for (var i = 0; i < sample.Length; i++)
        {
            var epsilon = (first[i] + second[i]) / 2.0;
            var expected = Math.Sqrt(alphaPrev / alpha) * start[i] - (alphaPrev - alpha) * epsilon / denominator;
            AssertClose(expected, sample[i], 1e-5, 1e-6);
        }
    }

    [Fact]
    public void SamplePredictionIsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => new PndmScheduler(GoldenConfig with { PredictionType = PredictionType.Sample }, 10));
    }
}
