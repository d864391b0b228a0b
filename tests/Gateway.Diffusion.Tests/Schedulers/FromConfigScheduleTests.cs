using System.Text.Json;
using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

/// <summary>
/// Every scheduler built from real models' scheduler configs gives the schedule diffusers gives for
/// <c>OtherScheduler.from_config(pipe.scheduler.config)</c>: keys the file lacks take the built class's defaults.
/// Goldens: Fixtures/schedulers/diffusers_from_config_schedules.json (origin in that folder's README).
/// </summary>
public sealed class FromConfigScheduleTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases();

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ScheduleMatchesDiffusers(string caseName)
    {
        var golden = Cases[caseName];
        var scheduler = SchedulerFactory.Create(golden.GetProperty("scheduler").GetString(), ConfigOf(golden), golden.GetProperty("steps").GetInt32());

        AssertGolden(Floats(golden, "timesteps"), scheduler.Timesteps);
        AssertGolden([(float)golden.GetProperty("init_noise_sigma").GetDouble()], [scheduler.InitNoiseSigma]);
        if (golden.TryGetProperty("sigmas", out _))
        {
            var sigmas = scheduler switch
            {
                SigmaScheduler sigma => sigma.Sigmas,
                DpmSolverMultistepScheduler dpm => dpm.Sigmas,
                _ => throw new InvalidOperationException($"{scheduler.GetType().Name} has no sigmas."),
            };
            AssertGolden(Floats(golden, "sigmas"), sigmas);
        }
        if (golden.TryGetProperty("alphas_cumprod_first_last", out _))
        {
            var alphas = ((AlphaProductScheduler)scheduler).AlphasCumprod;
            AssertGolden(Floats(golden, "alphas_cumprod_first_last"), [alphas[0], alphas[^1]]);
        }
    }

    [Fact]
    public void CoversTheModelsAndSchedulersItClaims()
    {
        var configs = Cases.Values.Select(c => c.TryGetProperty("config", out var file) ? file.GetString() : null).OfType<string>().ToHashSet();
        var schedulers = Cases.Values.Select(c => c.GetProperty("scheduler").GetString()).ToHashSet();

        Assert.Equal(["stable-diffusion-v1-5.json", "stable-diffusion-xl-base-1.0.json", "sdxl-turbo.json"], configs);
        // Flow Euler is for flow-matching models (Flux), whose configs FlowMatchEulerDiscreteSchedulerTests covers.
        Assert.Equal(SchedulerFactory.Names.Where(n => n != "Flow Euler").ToHashSet(), schedulers!);
    }

    /// <summary>The config as the model loader builds it: a Stable Diffusion model's file, with the offset and
    /// clipping diffusers' Stable Diffusion pipelines force.</summary>
    private static SchedulerConfig ConfigOf(JsonElement golden) =>
        golden.TryGetProperty("config", out var file)
            ? SchedulerConfig.Load(Path.Combine(FixtureDirectory, "configs", file.GetString()!)) with { StepsOffset = 1, ClipSample = false }
            : SchedulerConfig.Parse(golden.GetProperty("config_json").GetString()!);

    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers");

    private static float[] Floats(JsonElement golden, string key) =>
        golden.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static Dictionary<string, JsonElement> LoadCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "diffusers_from_config_schedules.json")));
        return document.RootElement.EnumerateArray().ToDictionary(
            c => $"{(c.TryGetProperty("config", out var file) ? file : c.GetProperty("config_json")).GetString()} · " +
                 $"{c.GetProperty("scheduler").GetString()} · {c.GetProperty("steps").GetInt32()} steps",
            c => c.Clone());
    }
}
