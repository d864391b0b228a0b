using System.Text.Json;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// A diffusers <c>scheduler_config.json</c>. The nullable members are the keys whose defaults differ between scheduler
/// classes; when the file lacks one it stays null, meaning "the default of whichever scheduler is built": diffusers
/// (since 0.18) records the keys a loaded config lacked in <c>_use_default_values</c>, and
/// <c>OtherScheduler.from_config(config)</c> drops them, so the built class's own default applies, not that of the
/// config's <c>_class_name</c>. Keys the file has always win.
/// </summary>
public sealed record SchedulerConfig
{
    /// <summary><c>_class_name</c>: the diffusers scheduler class the model ships with; empty when the file has none.</summary>
    public string ClassName { get; init; } = "";

    /// <summary><c>num_train_timesteps</c>.</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary><c>beta_start</c>; null: the built scheduler's default (see <see cref="BetaDefaults"/>).</summary>
    public double? BetaStart { get; init; }

    /// <summary><c>beta_end</c>; null: the built scheduler's default.</summary>
    public double? BetaEnd { get; init; }

    /// <summary><c>beta_schedule</c>; null: the built scheduler's default.</summary>
    public BetaSchedule? BetaSchedule { get; init; }

    /// <summary><c>trained_betas</c>: explicit betas that override the schedule.</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    /// <summary><c>prediction_type</c>.</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary><c>timestep_spacing</c>; null: the built scheduler's default (leading for DDIM/PNDM/LCM, linspace otherwise).</summary>
    public TimestepSpacing? TimestepSpacing { get; init; }

    /// <summary><c>steps_offset</c>.</summary>
    public int StepsOffset { get; init; }

    /// <summary><c>set_alpha_to_one</c>; null: the built scheduler's default (true for DDIM/LCM, false for PNDM).</summary>
    public bool? SetAlphaToOne { get; init; }

    /// <summary><c>skip_prk_steps</c> (PNDM).</summary>
    public bool SkipPrkSteps { get; init; }

    /// <summary><c>clip_sample</c>; null: the built scheduler's default (true for DDIM, false for LCM).</summary>
    public bool? ClipSample { get; init; }

    /// <summary><c>clip_sample_range</c>.</summary>
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary><c>use_karras_sigmas</c> (Euler, LMS, DPM-Solver, flow matching).</summary>
    public bool UseKarrasSigmas { get; init; }

    /// <summary><c>interpolation_type</c> (Euler).</summary>
    public InterpolationType InterpolationType { get; init; } = InterpolationType.Linear;

    /// <summary><c>original_inference_steps</c> (LCM).</summary>
    public int OriginalInferenceSteps { get; init; } = 50;

    /// <summary><c>timestep_scaling</c> (LCM).</summary>
    public double TimestepScaling { get; init; } = 10.0;

    /// <summary><c>rescale_betas_zero_snr</c> (DDIM, Euler, Euler a, DPM-Solver, LCM).</summary>
    public bool RescaleBetasZeroSnr { get; init; }

    /// <summary><c>shift</c> (flow matching): the static shift σ' = s·σ / (1 + (s − 1)·σ), when not shifting dynamically.</summary>
    public double Shift { get; init; } = 1.0;

    /// <summary><c>use_dynamic_shifting</c> (flow matching): shift by μ from the image sequence length instead.</summary>
    public bool UseDynamicShifting { get; init; }

    /// <summary><c>base_shift</c> (flow matching): μ at <see cref="BaseImageSeqLen"/>.</summary>
    public double BaseShift { get; init; } = 0.5;

    /// <summary><c>max_shift</c> (flow matching): μ at <see cref="MaxImageSeqLen"/>.</summary>
    public double MaxShift { get; init; } = 1.15;

    /// <summary><c>base_image_seq_len</c> (flow matching).</summary>
    public int BaseImageSeqLen { get; init; } = 256;

    /// <summary><c>max_image_seq_len</c> (flow matching).</summary>
    public int MaxImageSeqLen { get; init; } = 4096;

    /// <summary><c>time_shift_type</c> (flow matching).</summary>
    public TimeShiftType TimeShiftType { get; init; } = TimeShiftType.Exponential;

    /// <summary><c>shift_terminal</c> (flow matching): stretch the shifted sigmas so the last one equals it; null: no stretch.</summary>
    public double? ShiftTerminal { get; init; }

    /// <summary><c>invert_sigmas</c> (flow matching): use 1 − σ, ending at 1.</summary>
    public bool InvertSigmas { get; init; }

    /// <summary><c>use_exponential_sigmas</c>; of the schedulers here, only flow matching implements it.</summary>
    public bool UseExponentialSigmas { get; init; }

    /// <summary><c>use_beta_sigmas</c>; read so that flow matching, which does not implement it, can refuse it.</summary>
    public bool UseBetaSigmas { get; init; }

    /// <summary><c>stochastic_sampling</c> (flow matching): re-noise the x₀ estimate at each step instead of the Euler step.</summary>
    public bool StochasticSampling { get; init; }

    /// <summary>Reads a <c>scheduler_config.json</c> file.</summary>
    public static SchedulerConfig Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses the JSON text of a <c>scheduler_config.json</c>; unknown keys are ignored, as diffusers does.</summary>
    /// <exception cref="FormatException">A known key has a value of the wrong type or outside its allowed values.</exception>
    public static SchedulerConfig Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new FormatException("A scheduler config must be a JSON object.");

        var config = new SchedulerConfig
        {
            ClassName = ReadString(root, "_class_name") ?? "",
            NumTrainTimesteps = ReadInt(root, "num_train_timesteps") ?? 1000,
            BetaStart = ReadDouble(root, "beta_start"),
            BetaEnd = ReadDouble(root, "beta_end"),
            BetaSchedule = ReadEnum(root, "beta_schedule", BetaSchedules),
            TrainedBetas = ReadDoubles(root, "trained_betas"),
            PredictionType = ReadEnum(root, "prediction_type", PredictionTypes) ?? PredictionType.Epsilon,
            TimestepSpacing = ReadEnum(root, "timestep_spacing", TimestepSpacings),
            StepsOffset = ReadInt(root, "steps_offset") ?? 0,
            SetAlphaToOne = ReadBool(root, "set_alpha_to_one"),
            SkipPrkSteps = ReadBool(root, "skip_prk_steps") ?? false,
            ClipSample = ReadBool(root, "clip_sample"),
            ClipSampleRange = ReadDouble(root, "clip_sample_range") ?? 1.0,
            UseKarrasSigmas = ReadBool(root, "use_karras_sigmas") ?? false,
            InterpolationType = ReadEnum(root, "interpolation_type", InterpolationTypes) ?? InterpolationType.Linear,
            OriginalInferenceSteps = ReadInt(root, "original_inference_steps") ?? 50,
            TimestepScaling = ReadDouble(root, "timestep_scaling") ?? 10.0,
            RescaleBetasZeroSnr = ReadBool(root, "rescale_betas_zero_snr") ?? false,
            Shift = ReadDouble(root, "shift") ?? 1.0,
            UseDynamicShifting = ReadBool(root, "use_dynamic_shifting") ?? false,
            BaseShift = ReadDouble(root, "base_shift") ?? 0.5,
            MaxShift = ReadDouble(root, "max_shift") ?? 1.15,
            BaseImageSeqLen = ReadInt(root, "base_image_seq_len") ?? 256,
            MaxImageSeqLen = ReadInt(root, "max_image_seq_len") ?? 4096,
            TimeShiftType = ReadEnum(root, "time_shift_type", TimeShiftTypes) ?? TimeShiftType.Exponential,
            ShiftTerminal = ReadDouble(root, "shift_terminal"),
            InvertSigmas = ReadBool(root, "invert_sigmas") ?? false,
            UseExponentialSigmas = ReadBool(root, "use_exponential_sigmas") ?? false,
            UseBetaSigmas = ReadBool(root, "use_beta_sigmas") ?? false,
            StochasticSampling = ReadBool(root, "stochastic_sampling") ?? false,
        };

        if (config.NumTrainTimesteps < 1)
            throw new FormatException($"Scheduler config key 'num_train_timesteps' must be at least 1, got {config.NumTrainTimesteps}.");
        if (config.StepsOffset < 0)
            throw new FormatException($"Scheduler config key 'steps_offset' must not be negative, got {config.StepsOffset}.");
        if (config.OriginalInferenceSteps < 1)
            throw new FormatException($"Scheduler config key 'original_inference_steps' must be at least 1, got {config.OriginalInferenceSteps}.");
        if (config.UseDynamicShifting && config.MaxImageSeqLen == config.BaseImageSeqLen)
            throw new FormatException("Scheduler config keys 'base_image_seq_len' and 'max_image_seq_len' must differ for dynamic shifting.");
        if (config.TrainedBetas is { } betas && betas.Count != config.NumTrainTimesteps)
            throw new FormatException($"Scheduler config key 'trained_betas' has {betas.Count} values but 'num_train_timesteps' is {config.NumTrainTimesteps}.");
        return config;
    }

    private static readonly (string Name, BetaSchedule Value)[] BetaSchedules =
        [("linear", Schedulers.BetaSchedule.Linear), ("scaled_linear", Schedulers.BetaSchedule.ScaledLinear), ("squaredcos_cap_v2", Schedulers.BetaSchedule.SquaredCosCapV2)];

    private static readonly (string Name, PredictionType Value)[] PredictionTypes =
        [("epsilon", PredictionType.Epsilon), ("v_prediction", PredictionType.VPrediction), ("sample", PredictionType.Sample)];

    private static readonly (string Name, TimestepSpacing Value)[] TimestepSpacings =
        [("leading", Schedulers.TimestepSpacing.Leading), ("trailing", Schedulers.TimestepSpacing.Trailing), ("linspace", Schedulers.TimestepSpacing.Linspace)];

    private static readonly (string Name, TimeShiftType Value)[] TimeShiftTypes =
        [("exponential", Schedulers.TimeShiftType.Exponential), ("linear", Schedulers.TimeShiftType.Linear)];

    private static readonly (string Name, InterpolationType Value)[] InterpolationTypes =
        [("linear", InterpolationType.Linear), ("log_linear", InterpolationType.LogLinear)];

    /// <summary>A key that is absent or JSON null counts as missing, as diffusers treats <c>"trained_betas": null</c>.</summary>
    private static JsonElement? Find(JsonElement root, string key) =>
        root.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? ReadString(JsonElement root, string key) => Find(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw WrongType(key, "a string"),
    };

    private static int? ReadInt(JsonElement root, string key) => Find(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt32(out var number) => number,
        _ => throw WrongType(key, "an integer"),
    };

    private static double? ReadDouble(JsonElement root, string key) => Find(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
        _ => throw WrongType(key, "a number"),
    };

    private static bool? ReadBool(JsonElement root, string key) => Find(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw WrongType(key, "true or false"),
    };

    private static double[]? ReadDoubles(JsonElement root, string key)
    {
        if (Find(root, key) is not { } value)
            return null;
        if (value.ValueKind != JsonValueKind.Array)
            throw WrongType(key, "an array of numbers");
        var result = new double[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number)
                throw WrongType(key, "an array of numbers");
            result[i++] = item.GetDouble();
        }
        return result;
    }

    private static T? ReadEnum<T>(JsonElement root, string key, (string Name, T Value)[] allowed) where T : struct, Enum
    {
        var text = ReadString(root, key);
        if (text is null)
            return null;
        foreach (var (name, value) in allowed)
        {
            if (name == text)
                return value;
        }
        throw new FormatException(
            $"Scheduler config key '{key}' has unsupported value '{text}'; allowed: {string.Join(", ", allowed.Select(a => a.Name))}.");
    }

    private static FormatException WrongType(string key, string expected) =>
        new($"Scheduler config key '{key}' must be {expected}.");
}
