using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class DpmSolverMultistepSchedulerTests
{
    private static readonly SchedulerConfig Config = StableDiffusion with { TimestepSpacing = TimestepSpacing.Linspace };

    private static (double Alpha, double Sigma) AlphaSigma(double sigma) => (1 / Math.Sqrt(sigma * sigma + 1), sigma / Math.Sqrt(sigma * sigma + 1));

    private static double Lambda(double sigma)
    {
        var (alpha, sigmaT) = AlphaSigma(sigma);
        return Math.Log(alpha) - Math.Log(sigmaT);
    }

    [Fact]
    public void LinspaceTimestepsDropTheLastOfNPlusOnePoints()
    {
        var scheduler = new DpmSolverMultistepScheduler(Config, 20);

        Assert.Equal(
            [999f, 949, 899, 849, 799, 749, 699, 649, 599, 549, 500, 450, 400, 350, 300, 250, 200, 150, 100, 50],
            scheduler.Timesteps);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
    }

    [Fact]
    public void LeadingTimestepsUseTheRatioOfNPlusOne()
    {
        // diffusers: T // (n + 1) = 47 for 20 steps, multiples 20·47 … 1·47, plus steps_offset.
        var scheduler = new DpmSolverMultistepScheduler(Config with { TimestepSpacing = TimestepSpacing.Leading }, 20);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (20f - i) * 47 + 1), scheduler.Timesteps);
    }

    [Theory]
    [InlineData(PredictionType.Epsilon, false)]
    [InlineData(PredictionType.Epsilon, true)]
    [InlineData(PredictionType.VPrediction, false)]
    public void A_full_run_matches_the_dpm_solver_pp_2m_formulas_element_by_element(PredictionType prediction, bool karras)
    {
        // Every element of a full-size latent (plus a remainder the vector lanes do not cover) through a whole run:
        // the first-order first step, second-order midpoint steps, and the first-order last step onto sigma 0
        // (diffusers' DPMSolverMultistepScheduler, algorithm dpmsolver++, order 2, lower_order_final), computed here in
        // float64 from the same sigmas. float32 steps stay within a relative 1e-4 (absolute 1e-5) of it.
        var scheduler = new DpmSolverMultistepScheduler(Config with { PredictionType = prediction }, 8, karras);
        var sample = Latent(4 * 64 * 64 + 3);
        var expected = sample.Select(x => (double)x).ToArray();
        double[]? previousX0 = null;
        var steps = scheduler.Timesteps.Count;
        for (var index = 0; index < steps; index++)
        {
            var output = Latent(sample.Length, seed: index + 1);
            double sigmaS = scheduler.Sigmas[index], sigmaT = scheduler.Sigmas[index + 1];
            var (alphaS, sigmaSVp) = AlphaSigma(sigmaS);
            var (alphaT, sigmaTVp) = AlphaSigma(sigmaT);
            var h = Lambda(sigmaT) - Lambda(sigmaS);
            var x0 = expected.Select((x, i) => prediction == PredictionType.VPrediction
                ? alphaS * x - sigmaSVp * output[i]
                : (x - sigmaSVp * output[i]) / alphaS).ToArray();
            var firstOrder = index == 0 || index == steps - 1;
            var r0 = index == 0 ? 0 : (Lambda(sigmaS) - Lambda(scheduler.Sigmas[index - 1])) / h;
            for (var i = 0; i < expected.Length; i++)
            {
                var update = sigmaTVp / sigmaSVp * expected[i] - alphaT * (Math.Exp(-h) - 1) * x0[i];
                expected[i] = firstOrder ? update : update - 0.5 * alphaT * (Math.Exp(-h) - 1) * (x0[i] - previousX0![i]) / r0;
            }
            previousX0 = x0;

            scheduler.Step(output, index, sample, new FakeNoiseSource());
        }

        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i], 1e-4, 1e-5);
    }

    [Fact]
    public void FirstStepIsTheFirstOrderDpmSolverUpdate()
    {
        var scheduler = new DpmSolverMultistepScheduler(Config, 10);
        var sample = Latent();
        var epsilon = Latent(seed: 3);
        double sigmaS = scheduler.Sigmas[0], sigmaT = scheduler.Sigmas[1];
        var (alphaS, sigmaSVp) = AlphaSigma(sigmaS);
        var (alphaT, sigmaTVp) = AlphaSigma(sigmaT);
        var h = Lambda(sigmaT) - Lambda(sigmaS);
        var expected = sample.Select((x, i) =>
        {
            var x0 = (x - sigmaSVp * epsilon[i]) / alphaS;
            return sigmaTVp / sigmaSVp * x - alphaT * (Math.Exp(-h) - 1) * x0;
        }).ToArray();

        scheduler.Step(epsilon, 0, sample, new FakeNoiseSource());

        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i], 1e-5, 1e-6);
    }

    [Fact]
    public void SecondStepExtrapolatesFromThePreviousEstimate()
    {
        var scheduler = new DpmSolverMultistepScheduler(Config, 10);
        var sample = Latent();
        var firstOutput = Latent(seed: 3);
        var secondOutput = Latent(seed: 8);
        double sigma0 = scheduler.Sigmas[0], sigma1 = scheduler.Sigmas[1], sigma2 = scheduler.Sigmas[2];

        var firstX0 = sample.Select((x, i) => (x - AlphaSigma(sigma0).Sigma * firstOutput[i]) / AlphaSigma(sigma0).Alpha).ToArray();
        scheduler.Step(firstOutput, 0, sample, new FakeNoiseSource());
        var afterFirst = sample.ToArray();
        scheduler.Step(secondOutput, 1, sample, new FakeNoiseSource());

        var (alpha1, sigma1Vp) = AlphaSigma(sigma1);
        var (alpha2, sigma2Vp) = AlphaSigma(sigma2);
        var h = Lambda(sigma2) - Lambda(sigma1);
        var r0 = (Lambda(sigma1) - Lambda(sigma0)) / h;
        for (var i = 0; i < sample.Length; i++)
        {
            var m0 = (afterFirst[i] - sigma1Vp * secondOutput[i]) / alpha1;
            var d1 = (m0 - firstX0[i]) / r0;
            var expected = sigma2Vp / sigma1Vp * afterFirst[i] - alpha2 * (Math.Exp(-h) - 1) * m0 - 0.5 * alpha2 * (Math.Exp(-h) - 1) * d1;
            AssertClose(expected, sample[i], 1e-5, 1e-6);
        }
    }

    [Fact]
    public void LastStepLandsOnThePredictedOriginal()
    {
        var scheduler = new DpmSolverMultistepScheduler(Config, 3);
        var sample = Latent();
        var epsilon = Latent(seed: 2);
        scheduler.Step(epsilon, 0, sample, new FakeNoiseSource());
        scheduler.Step(epsilon, 1, sample, new FakeNoiseSource());
        var (alpha, sigma) = AlphaSigma(scheduler.Sigmas[2]);
        var expected = sample.Select((x, i) => (x - sigma * epsilon[i]) / alpha).ToArray();

        scheduler.Step(epsilon, 2, sample, new FakeNoiseSource());

        for (var i = 0; i < sample.Length; i++)
            AssertClose(expected[i], sample[i], 1e-5, 1e-6);
    }

    [Fact]
    public void KarrasSigmasSpanTheTrainingRangeWithIntegerTimesteps()
    {
        var scheduler = new DpmSolverMultistepScheduler(Config, 10, useKarrasSigmas: true);
        var trainSigmas = NoiseSchedule.TrainSigmas(NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(Config, false, BetaDefaults.Ddpm)));

        var expected = NoiseSchedule.KarrasSigmas(trainSigmas[0], trainSigmas[^1], 10);
        for (var i = 0; i < 10; i++)
            AssertClose(expected[i], scheduler.Sigmas[i], 1e-6);
        Assert.Equal(999f, scheduler.Timesteps[0]);
        Assert.Equal(0f, scheduler.Timesteps[^1]);
        Assert.All(scheduler.Timesteps, t => Assert.Equal(MathF.Round(t), t));
        Assert.NotEqual(new DpmSolverMultistepScheduler(Config, 10).Timesteps, scheduler.Timesteps);
    }

    [Fact]
    public void AddNoiseUsesTheVpScaling()
    {
        var scheduler = new DpmSolverMultistepScheduler(Config, 10);
        var original = Latent();
        var noise = Latent(seed: 9);
        var destination = new float[original.Length];

        scheduler.AddNoise(original, noise, 3, destination);

        var (alpha, sigma) = AlphaSigma(scheduler.Sigmas[3]);
        for (var i = 0; i < original.Length; i++)
            AssertClose(alpha * original[i] + sigma * noise[i], destination[i], 1e-5, 1e-6);
    }
}
