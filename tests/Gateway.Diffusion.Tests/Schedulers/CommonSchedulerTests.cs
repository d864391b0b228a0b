using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

/// <summary>Behaviour every scheduler shares: image-to-image start, noising, stability and the hot-path rule.</summary>
public sealed class CommonSchedulerTests
{
    public static IEnumerable<object[]> Names => AllNames();

    /// <summary>The schedulers Stable Diffusion's pipelines drive; Flow Euler follows Flux's image-to-image rule instead
    /// (FlowMatchEulerDiscreteSchedulerTests).</summary>
    public static IEnumerable<object[]> StableDiffusionNames => AllNames().Where(n => (string)n[0] != "Flow Euler");

    private static IScheduler Create(string name, int steps = 10) => SchedulerFactory.Create(name, StableDiffusion, steps);

    [Theory]
    [MemberData(nameof(StableDiffusionNames))]
    public void StartIndexForStrengthFollowsDiffusersImg2Img(string name)
    {
        var scheduler = Create(name);

        Assert.Equal(scheduler.Timesteps.Count, scheduler.StartIndexForStrength(0));
        Assert.Equal(0, scheduler.StartIndexForStrength(1));
        Assert.Equal(5, scheduler.StartIndexForStrength(0.5));
        Assert.Equal(7, scheduler.StartIndexForStrength(0.3)); // int(10 · 0.3) = 3 steps run
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.StartIndexForStrength(1.5));
    }

    [Theory]
    [InlineData("DDIM")]
    [InlineData("PNDM")]
    [InlineData("LCM")]
    public void AlphaSchedulersNoiseWithTheAlphaProductOfTheTimestep(string name)
    {
        var scheduler = Create(name, 4);
        var alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm));
        var original = Latent();
        var noise = Latent(seed: 5);
        var destination = new float[original.Length];

        scheduler.AddNoise(original, noise, 1, destination);

        double alpha = alphasCumprod[(int)scheduler.Timesteps[1]];
        for (var i = 0; i < original.Length; i++)
            AssertClose(Math.Sqrt(alpha) * original[i] + Math.Sqrt(1 - alpha) * noise[i], destination[i], 1e-6, 1e-7);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
    }

    [Theory]
    [InlineData("Euler")]
    [InlineData("Euler a")]
    [InlineData("LMS")]
    public void SigmaSchedulersNoiseWithSigmaAndScaleTheModelInput(string name)
    {
        var scheduler = (SigmaScheduler)Create(name, 4);
        var original = Latent();
        var noise = Latent(seed: 5);
        var destination = new float[original.Length];

        scheduler.AddNoise(original, noise, 1, destination);
        for (var i = 0; i < original.Length; i++)
            AssertClose(original[i] + scheduler.Sigmas[1] * (double)noise[i], destination[i], 1e-6, 1e-7);

        scheduler.ScaleModelInput(original, 1, destination);
        for (var i = 0; i < original.Length; i++)
            AssertClose(original[i] / Math.Sqrt(scheduler.Sigmas[1] * (double)scheduler.Sigmas[1] + 1), destination[i], 1e-6, 1e-7);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ZeroModelOutputKeepsValuesFinite(string name)
    {
        foreach (var prediction in new[] { PredictionType.Epsilon, PredictionType.VPrediction })
        {
            var scheduler = SchedulerFactory.Create(name, StableDiffusion with { PredictionType = prediction }, 25);
            var sample = Latent(64).Select(x => x * scheduler.InitNoiseSigma).ToArray();
            var zero = new float[sample.Length];
            var noise = new FakeNoiseSource();
            for (var i = 0; i < scheduler.Timesteps.Count; i++)
            {
                scheduler.ScaleModelInput(sample, i, new float[sample.Length]);
                scheduler.Step(zero, i, sample, noise);
                Assert.All(sample, x => Assert.True(float.IsFinite(x), $"{name} {prediction}: non-finite value at step {i}."));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StepAndScaleModelInputDoNotAllocateOnceWarm(string name)
    {
        var sample = Latent(4096);
        var output = Latent(4096, seed: 3);
        var scaled = new float[sample.Length];
        // One full run first, so that JIT tiering does not show up in the measurement.
        Run(SchedulerFactory.Create(name, StableDiffusion, 20), 0, 20);
        // History buffers are sized on first use: PNDM fills its four ε buffers by the fifth call.
        var scheduler = SchedulerFactory.Create(name, StableDiffusion, 20);
        Run(scheduler, 0, 5);

        // Three windows of five steps: code that allocates per step shows in all of them, while a one-off runtime
        // allocation (a tier-up of the JIT under a loaded test run) can show in one.
        var windows = new List<long>();
        for (var from = 5; from < 20; from += 5)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Run(scheduler, from, from + 5);
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, windows.Min());

        void Run(IScheduler scheduler, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                scheduler.ScaleModelInput(sample, i, scaled);
                scheduler.Step(output, i, sample, NoAllocationNoise.Instance);
            }
        }
    }

    [Fact]
    public void StepRejectsMismatchedLengthsAndIndices()
    {
        var scheduler = Create("Euler");

        Assert.Throws<ArgumentException>(() => scheduler.Step(new float[3], 0, new float[4], new FakeNoiseSource()));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(new float[4], 10, new float[4], new FakeNoiseSource()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EulerDiscreteScheduler(StableDiffusion, 0));
    }

    private sealed class NoAllocationNoise : INoiseSource
    {
        public static NoAllocationNoise Instance { get; } = new();

        public void NextGaussian(Span<float> destination) => destination.Fill(0.5f);
    }
}
