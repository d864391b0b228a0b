using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class EulerAncestralSchedulerTests
{
    private static readonly SchedulerConfig Turbo = StableDiffusion with { TimestepSpacing = TimestepSpacing.Trailing };

    [Theory]
    [InlineData(14.6f, 8.4f)]
    [InlineData(1.2f, 0.03f)]
    [InlineData(0.03f, 0f)]
    public void SigmaUpAndDownSplitTheNextNoiseLevel(float from, float to)
    {
        var (up, down) = EulerAncestralScheduler.AncestralSigmas(from, to);

        // σ_up² = σ_to²(σ_from² − σ_to²)/σ_from² and σ_up² + σ_down² = σ_to².
        AssertClose(to * Math.Sqrt(from * (double)from - to * (double)to) / from, up, 1e-6, 1e-9);
        AssertClose(to * (double)to, up * (double)up + down * (double)down, 1e-5, 1e-9);
        // σ_down = σ_to²/σ_from; float32 σ_to² − σ_up² cancels (as in diffusers) when σ_to ≪ σ_from, hence 1e-4.
        AssertClose(to * (double)to / from, down, 1e-4, 1e-9);
    }

    [Fact]
    public void StepDrawsNoiseFromTheSourceOnEveryStep()
    {
        var scheduler = new EulerAncestralScheduler(Turbo, 4);
        var noise = new FakeNoiseSource();
        var sample = Latent();
        var output = Latent(seed: 5);

        for (var index = 0; index < 4; index++)
        {
            var before = sample.ToArray();
            scheduler.Step(output, index, sample, noise);

            var drawn = noise.Draws[index];
            Assert.Equal(sample.Length, drawn.Length);
            double sigma = scheduler.Sigmas[index];
            var (up, down) = EulerAncestralScheduler.AncestralSigmas(scheduler.Sigmas[index], scheduler.Sigmas[index + 1]);
            for (var i = 0; i < sample.Length; i++)
            {
                // ε-prediction: the derivative (x − x₀)/σ is the model output itself.
                var expected = before[i] + output[i] * (down - sigma) + drawn[i] * up;
                AssertClose(expected, sample[i], 1e-5, 1e-6);
            }
        }
        Assert.Equal(4, noise.Draws.Count); // the last step draws too (σ_up = 0 there), as diffusers does
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.VPrediction)]
    public void VectorisedStepGivesTheFloat32ValuesOfDiffusersElementByElement(PredictionType prediction)
    {
        // A latent of real size (whole vectors and no tail, then a tail), against diffusers' float32 formula one
        // element at a time, in its order of operations: the SIMD step must give the same bits, not just close ones.
        foreach (var length in new[] { 4 * 64 * 64, 4 * 8 * 8 + 3 })
        {
            var scheduler = new EulerAncestralScheduler(Turbo with { PredictionType = prediction }, 4);
            var noise = new FakeNoiseSource();
            var sample = Latent(length);
            var output = Latent(length, seed: 5);
            var expected = sample.ToArray();

            scheduler.Step(output, 1, sample, noise);

            float sigma = scheduler.Sigmas[1];
            var (up, down) = EulerAncestralScheduler.AncestralSigmas(sigma, scheduler.Sigmas[2]);
            var dt = down - sigma;
            for (var i = 0; i < length; i++)
            {
                var x = expected[i];
                var original = prediction == PredictionType.Epsilon
                    ? x - sigma * output[i]
                    : output[i] * (-sigma / MathF.Sqrt(sigma * sigma + 1f)) + x / (sigma * sigma + 1f);
                expected[i] = x + (x - original) / sigma * dt + noise.Draws[0][i] * up;
            }
            Assert.Equal(expected, sample);
        }
    }

    [Fact]
    public void TurboScheduleIsTrailing()
    {
        Assert.Equal([999f, 749, 499, 249], new EulerAncestralScheduler(Turbo, 4).Timesteps);
        var oneStep = new EulerAncestralScheduler(Turbo, 1);
        Assert.Equal([999f], oneStep.Timesteps);
        Assert.Equal(oneStep.Sigmas[0], oneStep.InitNoiseSigma);
    }

    [Fact]
    public void SamplePredictionIsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => new EulerAncestralScheduler(Turbo with { PredictionType = PredictionType.Sample }, 4));
    }
}
