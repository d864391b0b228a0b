using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class SchedulerConfigTests
{
    // stable-diffusion-v1-5 (main branch) scheduler/scheduler_config.json.
    private const string StableDiffusion15 = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.6.0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null,
          "clip_sample": false
        }
        """;

    // sdxl-turbo scheduler/scheduler_config.json.
    private const string SdxlTurbo = """
        {
          "_class_name": "EulerAncestralDiscreteScheduler",
          "_diffusers_version": "0.24.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "interpolation_type": "linear",
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "sample_max_value": 1.0,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "timestep_spacing": "trailing",
          "trained_betas": null
        }
        """;

    [Fact]
    public void ParsesStableDiffusion15AndLeavesItsMissingKeysToTheBuiltScheduler()
    {
        var config = SchedulerConfig.Parse(StableDiffusion15);

        Assert.Equal("PNDMScheduler", config.ClassName);
        Assert.Equal(1000, config.NumTrainTimesteps);
        Assert.Equal(0.00085, config.BetaStart);
        Assert.Equal(0.012, config.BetaEnd);
        Assert.Equal(BetaSchedule.ScaledLinear, config.BetaSchedule);
        Assert.Null(config.TrainedBetas);
        Assert.Equal(1, config.StepsOffset);
        Assert.True(config.SkipPrkSteps);
        Assert.False(config.SetAlphaToOne);
        Assert.False(config.ClipSample);
        // Not in the file: diffusers' from_config gives each scheduler its own default, so nothing is filled in.
        Assert.Null(config.TimestepSpacing);
        Assert.Equal(PredictionType.Epsilon, config.PredictionType);
        Assert.False(config.UseKarrasSigmas);
    }

    [Fact]
    public void ParsesSdxlTurbo()
    {
        var config = SchedulerConfig.Parse(SdxlTurbo);

        Assert.Equal("EulerAncestralDiscreteScheduler", config.ClassName);
        Assert.Equal(TimestepSpacing.Trailing, config.TimestepSpacing);
        Assert.Equal(InterpolationType.Linear, config.InterpolationType);
        Assert.Equal(PredictionType.Epsilon, config.PredictionType);
    }

    [Fact]
    public void EmptyConfigTakesDiffusersDefaults()
    {
        var config = SchedulerConfig.Parse("{}");

        Assert.Equal("", config.ClassName);
        Assert.Equal(1000, config.NumTrainTimesteps);
        Assert.Equal(PredictionType.Epsilon, config.PredictionType);
        Assert.Equal(0, config.StepsOffset);
        Assert.Equal(1.0, config.ClipSampleRange);
        Assert.Equal(50, config.OriginalInferenceSteps);
        Assert.Equal(10.0, config.TimestepScaling);
        Assert.False(config.RescaleBetasZeroSnr);
        // Class-dependent keys stay open for the scheduler that is built.
        Assert.Null(config.BetaStart);
        Assert.Null(config.BetaEnd);
        Assert.Null(config.BetaSchedule);
        Assert.Null(config.TimestepSpacing);
        Assert.Null(config.SetAlphaToOne);
        Assert.Null(config.ClipSample);
    }

    [Theory]
    [InlineData("DDIMScheduler")]
    [InlineData("PNDMScheduler")]
    [InlineData("LCMScheduler")]
    [InlineData("EulerDiscreteScheduler")]
    [InlineData("DPMSolverMultistepScheduler")]
    public void MissingClassDependentKeysStayOpenWhateverTheClass(string className)
    {
        // diffusers' from_config drops the keys a config lacked (_use_default_values), so not even the config's own
        // class decides them: the scheduler that is built does (FromConfigScheduleTests checks the schedules).
        var config = SchedulerConfig.Parse($$"""{"_class_name": "{{className}}"}""");

        Assert.Equal(new SchedulerConfig { ClassName = className }, config);
    }

    [Fact]
    public void KeysTheFileHasWin()
    {
        var config = SchedulerConfig.Parse("""
            {"_class_name": "LCMScheduler", "beta_start": 0.001, "beta_end": 0.03, "beta_schedule": "linear",
             "timestep_spacing": "trailing", "set_alpha_to_one": false, "clip_sample": true}
            """);

        Assert.Equal(0.001, config.BetaStart);
        Assert.Equal(0.03, config.BetaEnd);
        Assert.Equal(BetaSchedule.Linear, config.BetaSchedule);
        Assert.Equal(TimestepSpacing.Trailing, config.TimestepSpacing);
        Assert.False(config.SetAlphaToOne);
        Assert.True(config.ClipSample);
    }

    [Fact]
    public void ParsesTheFlowMatchingKeys()
    {
        var config = SchedulerConfig.Parse("""
            {"_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 128, "base_shift": 0.25,
             "max_image_seq_len": 8192, "max_shift": 0.75, "num_train_timesteps": 1000, "shift": 3.0,
             "use_dynamic_shifting": true, "time_shift_type": "linear", "shift_terminal": 0.02, "invert_sigmas": true,
             "use_exponential_sigmas": true, "use_beta_sigmas": true, "stochastic_sampling": true}
            """);

        Assert.Equal(3.0, config.Shift);
        Assert.True(config.UseDynamicShifting);
        Assert.Equal(0.25, config.BaseShift);
        Assert.Equal(0.75, config.MaxShift);
        Assert.Equal(128, config.BaseImageSeqLen);
        Assert.Equal(8192, config.MaxImageSeqLen);
        Assert.Equal(TimeShiftType.Linear, config.TimeShiftType);
        Assert.Equal(0.02, config.ShiftTerminal);
        Assert.True(config.InvertSigmas);
        Assert.True(config.UseExponentialSigmas);
        Assert.True(config.UseBetaSigmas);
        Assert.True(config.StochasticSampling);
    }

    [Fact]
    public void FlowMatchingKeysDefaultToDiffusers()
    {
        var config = SchedulerConfig.Parse("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift_terminal": null, "base_shift": null}""");

        Assert.Equal(1.0, config.Shift);
        Assert.False(config.UseDynamicShifting);
        Assert.Equal(0.5, config.BaseShift);
        Assert.Equal(1.15, config.MaxShift);
        Assert.Equal(256, config.BaseImageSeqLen);
        Assert.Equal(4096, config.MaxImageSeqLen);
        Assert.Equal(TimeShiftType.Exponential, config.TimeShiftType);
        Assert.Null(config.ShiftTerminal);
        Assert.False(config.InvertSigmas);
        Assert.False(config.StochasticSampling);
    }

    [Fact]
    public void DynamicShiftingNeedsTwoDistinctSequenceLengths()
    {
        var error = Assert.Throws<FormatException>(() => SchedulerConfig.Parse(
            """{"use_dynamic_shifting": true, "base_image_seq_len": 4096, "max_image_seq_len": 4096}"""));

        Assert.Contains("'max_image_seq_len'", error.Message);
    }

    [Theory]
    [InlineData("time_shift_type", "cubic", "exponential, linear")]
    [InlineData("beta_schedule", "cosine", "linear, scaled_linear, squaredcos_cap_v2")]
    [InlineData("prediction_type", "flow", "epsilon, v_prediction, sample")]
    [InlineData("timestep_spacing", "uniform", "leading, trailing, linspace")]
    [InlineData("interpolation_type", "cubic", "linear, log_linear")]
    public void UnknownValueNamesTheKeyAndTheAllowedValues(string key, string value, string allowed)
    {
        var error = Assert.Throws<FormatException>(() => SchedulerConfig.Parse($$"""{"{{key}}": "{{value}}"}"""));

        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
        Assert.Contains(allowed, error.Message);
    }

    [Theory]
    [InlineData("""{"steps_offset": "1"}""", "steps_offset")]
    [InlineData("""{"set_alpha_to_one": 0}""", "set_alpha_to_one")]
    [InlineData("""{"beta_start": "0.1"}""", "beta_start")]
    [InlineData("""{"trained_betas": [0.1, "x"]}""", "trained_betas")]
    [InlineData("""{"num_train_timesteps": 0}""", "num_train_timesteps")]
    public void WrongTypeOrRangeNamesTheKey(string json, string key)
    {
        var error = Assert.Throws<FormatException>(() => SchedulerConfig.Parse(json));

        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void ReadsTrainedBetas()
    {
        var config = SchedulerConfig.Parse("""{"num_train_timesteps": 3, "trained_betas": [0.1, 0.2, 0.3]}""");

        Assert.Equal([0.1, 0.2, 0.3], config.TrainedBetas!);
        Assert.Equal([0.1f, 0.2f, 0.3f], NoiseSchedule.Betas(config, rescaleZeroSnr: false, BetaDefaults.Ddpm));
    }

    [Fact]
    public void LoadReadsAFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, SdxlTurbo);
            Assert.Equal(SchedulerConfig.Parse(SdxlTurbo), SchedulerConfig.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
