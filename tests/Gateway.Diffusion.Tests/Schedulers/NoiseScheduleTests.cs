using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class NoiseScheduleTests
{
    [Theory]
    [InlineData("euler_discrete_test_betas.txt")]
    [InlineData("pndm_test_betas.txt")]
    public void ScaledLinearBetasMatchDiffusers(string fixture)
    {
        AssertGolden(LoadFixture(fixture), NoiseSchedule.Betas(StableDiffusion, rescaleZeroSnr: false, BetaDefaults.Ddpm));
    }

    [Fact]
    public void TrainingSigmasMatchDiffusersAtInit()
    {
        // diffusers' Euler sigmas before set_timesteps: the training sigmas from t = 999 down to 0, then 0.
        var trainSigmas = NoiseSchedule.TrainSigmas(NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm)));
        var atInit = trainSigmas.Reverse().Append(0f).ToArray();

        AssertGolden(LoadFixture("euler_discrete_test_sigmas.txt"), atInit);
        // init_noise_sigma at init with leading spacing: √(σmax² + 1).
        var max = atInit.Max();
        AssertGolden([14.648818f], [MathF.Sqrt(max * max + 1)]);
    }

    [Fact]
    public void FirstAlphaProductIsOneMinusTheFirstBeta()
    {
        var alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm));

        // The reference README's final_alpha_cumprod for SD with set_alpha_to_one false: 0.9991(5).
        AssertClose(1 - 0.00085, alphasCumprod[0], 1e-7);
        Assert.True(alphasCumprod.Zip(alphasCumprod.Skip(1)).All(p => p.Second < p.First));
    }

    [Fact]
    public void LinearBetasSpanStartToEnd()
    {
        var betas = NoiseSchedule.Betas(new SchedulerConfig(), false, BetaDefaults.Ddpm);

        Assert.Equal(1000, betas.Length);
        Assert.Equal(0.0001f, betas[0]);
        Assert.Equal(0.02f, betas[^1]);
        AssertClose(0.0001 + 500 * (0.02 - 0.0001) / 999, betas[500], 1e-6);
    }

    [Fact]
    public void SquaredCosineBetasFollowTheGlideAlphaBar()
    {
        var betas = NoiseSchedule.Betas(new SchedulerConfig { BetaSchedule = BetaSchedule.SquaredCosCapV2 }, false, BetaDefaults.Ddpm);
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);

        AssertClose(1 - AlphaBar(0.001) / AlphaBar(0), betas[0], 1e-6);
        AssertClose(1 - AlphaBar(0.5) / AlphaBar(0.499), betas[499], 1e-6);
        Assert.Equal(0.999f, betas[^1]); // capped: ᾱ(1) = 0
    }

    [Fact]
    public void ZeroSnrRescaleEndsAtZeroSignalAndKeepsTheFirstStep()
    {
        var plain = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm));
        var rescaled = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, true, BetaDefaults.Ddpm));

        Assert.Equal(0f, rescaled[^1]);
        AssertClose(plain[0], rescaled[0], 1e-6);
    }

    [Fact]
    public void KarrasSigmasFollowTheRho7Formula()
    {
        const double min = 0.03, max = 14.6;
        var sigmas = NoiseSchedule.KarrasSigmas(min, max, 5);

        AssertClose(max, sigmas[0], 1e-12);
        AssertClose(min, sigmas[^1], 1e-12);
        for (var i = 0; i < 5; i++)
        {
            var ramp = i / 4.0;
            var expected = Math.Pow(Math.Pow(max, 1 / 7.0) + ramp * (Math.Pow(min, 1 / 7.0) - Math.Pow(max, 1 / 7.0)), 7);
            AssertClose(expected, sigmas[i], 1e-12);
        }
    }

    [Fact]
    public void SigmaToTimestepInvertsTheTrainingSigmas()
    {
        var trainSigmas = NoiseSchedule.TrainSigmas(NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(StableDiffusion, false, BetaDefaults.Ddpm)));
        var logSigmas = NoiseSchedule.LogSigmas(trainSigmas);

        AssertClose(500, NoiseSchedule.SigmaToT(trainSigmas[500], logSigmas), 1e-6);
        AssertClose(0, NoiseSchedule.SigmaToT(trainSigmas[0] / 2, logSigmas), 0, 1e-12); // clamped below
        AssertClose(999, NoiseSchedule.SigmaToT(trainSigmas[999] * 2, logSigmas), 0, 1e-12); // clamped above
        // Between two training sigmas the timestep is interpolated in log σ.
        var between = Math.Exp((logSigmas[300] + (double)logSigmas[301]) / 2);
        AssertClose(300.5, NoiseSchedule.SigmaToT(between, logSigmas), 1e-6);
    }
}
