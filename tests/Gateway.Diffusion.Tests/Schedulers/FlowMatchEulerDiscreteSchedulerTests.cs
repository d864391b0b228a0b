using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

/// <summary>
/// The flow-matching scheduler against diffusers' own: Fixtures/schedulers/diffusers_flow_match.json holds the
/// schedules FluxPipeline sets and full text-to-image and image-to-image loops (origin in that folder's README).
/// </summary>
public sealed class FlowMatchEulerDiscreteSchedulerTests
{
    private static readonly JsonElement Golden = LoadGolden();

    public static TheoryData<int> ScheduleCases => new(Enumerable.Range(0, Golden.GetProperty("schedules").GetArrayLength()));

    public static TheoryData<int> LoopCases => new(Enumerable.Range(0, Golden.GetProperty("loops").GetArrayLength()));

    [Theory]
    [MemberData(nameof(ScheduleCases))]
    public void ScheduleMatchesFluxPipeline(int index)
    {
        var golden = Golden.GetProperty("schedules")[index];
        var config = ConfigOf(golden);
        var sequenceLength = golden.GetProperty("image_seq_len").GetInt32();

        var scheduler = new FlowMatchEulerDiscreteScheduler(config, golden.GetProperty("steps").GetInt32(), sequenceLength);

        AssertClose(golden.GetProperty("mu").GetDouble(), FlowMatchSchedule.CalculateShift(config, sequenceLength), 1e-12);
        AssertGolden(Floats(golden, "sigmas"), scheduler.Sigmas);
        AssertGolden(Floats(golden, "timesteps"), scheduler.Timesteps);
    }

    [Theory]
    [MemberData(nameof(LoopCases))]
    public void FullLoopMatchesDiffusers(int index)
    {
        var golden = Golden.GetProperty("loops")[index];
        var steps = golden.GetProperty("steps").GetInt32();
        var scheduler = SchedulerFactory.Create(null, ConfigOf(golden), steps, golden.GetProperty("image_seq_len").GetInt32());
        var samples = LoadFixture("scheduler_test_random_samples.txt");
        var sample = samples.ToArray();
        var start = 0;
        if (golden.TryGetProperty("strength", out var strength))
        {
            start = scheduler.StartIndexForStrength(strength.GetDouble());
            Assert.Equal(golden.GetProperty("start_index").GetInt32(), start);
            // The golden's noise: the samples reversed, minus 0.5.
            var noise = samples.Reverse().Select(x => x - 0.5f).ToArray();
            scheduler.AddNoise(samples, noise, start, sample);
            AssertGolden(Floats(golden, "noised"), sample);
        }

        var output = new float[sample.Length];
        var sigmas = ((FlowMatchEulerDiscreteScheduler)scheduler).Sigmas;
        var noiseSource = new FakeNoiseSource();
        for (var i = start; i < steps; i++)
        {
            // The golden's model: v = x·(1 − σ) − 0.5·σ, in float32.
            var sigma = sigmas[i];
            for (var k = 0; k < sample.Length; k++)
                output[k] = sample[k] * (1f - sigma) - 0.5f * sigma;
            scheduler.ScaleModelInput(sample, i, sample);
            scheduler.Step(output, i, sample, noiseSource);
        }

        AssertGolden(Floats(golden, "output"), sample);
        Assert.Empty(noiseSource.Draws);
    }

    [Fact]
    public void StepIsEulerOnTheVelocity()
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(Load("flux.1-schnell.json"), 4);
        var sample = Latent();
        var velocity = Latent(seed: 2);
        var before = sample.ToArray();

        scheduler.Step(velocity, 1, sample, new FakeNoiseSource());

        Assert.Equal([1f, 0.75f, 0.5f, 0.25f, 0f], scheduler.Sigmas);
        for (var i = 0; i < sample.Length; i++)
            Assert.Equal(before[i] + (0.5f - 0.75f) * velocity[i], sample[i]);
    }

    [Fact]
    public void StochasticSamplingRenoisesTheCleanEstimate()
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(Load("flux.1-schnell.json") with { StochasticSampling = true }, 4);
        var sample = Latent();
        var velocity = Latent(seed: 2);
        var before = sample.ToArray();
        var noise = new FakeNoiseSource();

        scheduler.Step(velocity, 1, sample, noise);

        var draw = Assert.Single(noise.Draws);
        for (var i = 0; i < sample.Length; i++)
            AssertClose((1 - 0.5) * (before[i] - 0.75 * velocity[i]) + 0.5 * draw[i], sample[i], 1e-6, 1e-7);
    }

    [Fact]
    public void LatentsAreUnscaledUnitNoise()
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(Load("flux.1-dev.json"), 28, 4096);
        var sample = Latent();
        var destination = new float[sample.Length];

        scheduler.ScaleModelInput(sample, 3, destination);

        Assert.Equal(1f, scheduler.InitNoiseSigma);
        Assert.Equal(sample, destination);
        Assert.Equal(0f, scheduler.Sigmas[^1]);
        Assert.Equal(28, scheduler.Timesteps.Count);
    }

    [Theory]
    [InlineData(28, 0.6, 11)] // min(16.8, 28): int(11.2); Stable Diffusion's get_timesteps would truncate 16.8 first and give 12
    [InlineData(10, 0.3, 7)] // an integral steps·strength gives the same start as Stable Diffusion's
    [InlineData(28, 1.0, 0)]
    [InlineData(28, 0.02, 27)]
    [InlineData(28, 0.0, 28)] // no step left
    public void StartIndexForStrengthFollowsFluxImg2Img(int steps, double strength, int expected)
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(Load("flux.1-dev.json"), steps, 1024);

        Assert.Equal(expected, scheduler.StartIndexForStrength(strength));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.StartIndexForStrength(-0.1));
    }

    [Fact]
    public void DynamicShiftingNeedsTheSequenceLength()
    {
        var error = Assert.Throws<ArgumentException>(() => new FlowMatchEulerDiscreteScheduler(Load("flux.1-dev.json"), 28));

        Assert.Equal("imageSequenceLength", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowMatchEulerDiscreteScheduler(Load("flux.1-dev.json"), 28, 0));
    }

    [Fact]
    public void UnsupportedSigmaConversionsAreRejected()
    {
        var config = Load("flux.1-dev.json");

        Assert.Contains("use_beta_sigmas",
            Assert.Throws<NotSupportedException>(() => new FlowMatchEulerDiscreteScheduler(config with { UseBetaSigmas = true }, 28, 1024)).Message);
        Assert.Throws<NotSupportedException>(
            () => new FlowMatchEulerDiscreteScheduler(config with { UseKarrasSigmas = true, UseExponentialSigmas = true }, 28, 1024));
    }

    private static SchedulerConfig Load(string file) => SchedulerConfig.Load(ConfigPath(file));

    /// <summary>The case's config file with its overrides merged in, parsed as a file would be.</summary>
    private static SchedulerConfig ConfigOf(JsonElement golden)
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath(golden.GetProperty("config").GetString()!)))!.AsObject();
        if (golden.TryGetProperty("overrides", out var overrides))
        {
            foreach (var property in overrides.EnumerateObject())
                json[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }
        return SchedulerConfig.Parse(json.ToJsonString());
    }

    private static string ConfigPath(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", "configs", file);

    private static float[] Floats(JsonElement golden, string key) =>
        golden.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static JsonElement LoadGolden()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(
            Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", "diffusers_flow_match.json")));
        return document.RootElement.Clone();
    }
}
