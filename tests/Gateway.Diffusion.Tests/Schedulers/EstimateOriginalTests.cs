using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

/// <summary>
/// The x₀ estimate behind step previews: a model that predicts its target exactly gives back the clean latents, for
/// every scheduler's own noising (its <c>AddNoise</c>) and prediction type, as diffusers' <c>pred_original_sample</c>.
/// </summary>
public sealed class EstimateOriginalTests
{
    public static IEnumerable<object[]> Names => AllNames();

    [Theory]
    [MemberData(nameof(Names))]
    public void An_exact_noise_prediction_gives_back_the_clean_latents(string name)
    {
        var scheduler = SchedulerFactory.Create(name, StableDiffusion, 10);
        var clean = Latent();
        var noise = Latent(seed: 3);
        var flow = scheduler is FlowMatchEulerDiscreteScheduler;
        foreach (var index in new[] { 0, 4, 9 })
        {
            var sample = new float[clean.Length];
            scheduler.AddNoise(clean, noise, index, sample);
            // Flow matching predicts the velocity noise − x₀; the others the noise itself.
            var output = flow ? noise.Select((n, i) => n - clean[i]).ToArray() : noise;
            var estimate = new float[clean.Length];
            scheduler.EstimateOriginal(output, index, sample, estimate);
            for (var i = 0; i < clean.Length; i++) AssertClose(clean[i], estimate[i], 1e-3, 2e-4);
        }
    }

    [Theory]
    [InlineData("DDIM")]
    [InlineData("Euler")]
    [InlineData("DPM++ 2M")]
    public void An_exact_v_prediction_gives_back_the_clean_latents(string name)
    {
        var config = StableDiffusion with { PredictionType = PredictionType.VPrediction };
        var scheduler = SchedulerFactory.Create(name, config, 10);
        var clean = Latent();
        var noise = Latent(seed: 3);
        const int index = 4;
        var sample = new float[clean.Length];
        scheduler.AddNoise(clean, noise, index, sample);
        // v = α·ε − σ·x₀ on the variance-preserving latents; sigma schedulers keep x = x₀ + σ·ε, whose VP form is x·α.
        var (alpha, sigma) = scheduler switch
        {
            SigmaScheduler s => (1 / MathF.Sqrt(s.Sigmas[index] * s.Sigmas[index] + 1), s.Sigmas[index] / MathF.Sqrt(s.Sigmas[index] * s.Sigmas[index] + 1)),
            DpmSolverMultistepScheduler d => (1 / MathF.Sqrt(d.Sigmas[index] * d.Sigmas[index] + 1), d.Sigmas[index] / MathF.Sqrt(d.Sigmas[index] * d.Sigmas[index] + 1)),
            AlphaProductScheduler a => (MathF.Sqrt(a.AlphasCumprod[(int)a.Timesteps[index]]), MathF.Sqrt(1 - a.AlphasCumprod[(int)a.Timesteps[index]])),
            _ => throw new InvalidOperationException(name),
        };
        var velocity = noise.Select((n, i) => alpha * n - sigma * clean[i]).ToArray();
        var estimate = new float[clean.Length];
        scheduler.EstimateOriginal(velocity, index, sample, estimate);
        for (var i = 0; i < clean.Length; i++) AssertClose(clean[i], estimate[i], 1e-3, 2e-4);
    }

    [Fact]
    public void The_estimate_leaves_the_schedulers_state_alone()
    {
        var probed = SchedulerFactory.Create("DPM++ 2M", StableDiffusion, 6);
        var plain = SchedulerFactory.Create("DPM++ 2M", StableDiffusion, 6);
        var a = Latent();
        var b = Latent();
        var output = new float[a.Length];
        var estimate = new float[a.Length];
        var noise = new Gateway.Diffusion.Noise.TorchGenerator(1);
        for (var i = 0; i < probed.Timesteps.Count; i++)
        {
            DummyModel(a, probed.Timesteps[i], output);
            probed.EstimateOriginal(output, i, a, estimate);
            probed.Step(output, i, a, noise);
            DummyModel(b, plain.Timesteps[i], output);
            plain.Step(output, i, b, noise);
        }
        Assert.Equal(b, a);
    }
}
