namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// Builds schedulers by A1111-style name ("Euler a", "DPM++ 2M Karras", …) or diffusers class name, case-insensitively.
/// Whatever the name, the keys the model's config has apply and the ones it lacks take the built scheduler's defaults,
/// as diffusers' <c>OtherScheduler.from_config(pipe.scheduler.config)</c> does.
/// </summary>
public static class SchedulerFactory
{
    private static readonly Dictionary<string, Func<SchedulerConfig, int, int?, IScheduler>> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Euler a"] = (config, steps, _) => new EulerAncestralScheduler(config, steps),
        ["Euler"] = (config, steps, _) => new EulerDiscreteScheduler(config, steps),
        ["LMS"] = (config, steps, _) => new LmsDiscreteScheduler(config, steps),
        ["DPM++ 2M"] = (config, steps, _) => new DpmSolverMultistepScheduler(config, steps, useKarrasSigmas: false),
        ["DPM++ 2M Karras"] = (config, steps, _) => new DpmSolverMultistepScheduler(config, steps, useKarrasSigmas: true),
        ["DDIM"] = (config, steps, _) => new DdimScheduler(config, steps),
        ["PNDM"] = (config, steps, _) => new PndmScheduler(config, steps),
        ["LCM"] = (config, steps, _) => new LcmScheduler(config, steps),
        ["Flow Euler"] = (config, steps, sequenceLength) => new FlowMatchEulerDiscreteScheduler(config, steps, sequenceLength),
        ["EulerAncestralDiscreteScheduler"] = (config, steps, _) => new EulerAncestralScheduler(config, steps),
        ["EulerDiscreteScheduler"] = (config, steps, _) => new EulerDiscreteScheduler(config, steps),
        ["LMSDiscreteScheduler"] = (config, steps, _) => new LmsDiscreteScheduler(config, steps),
        ["DPMSolverMultistepScheduler"] = (config, steps, _) => new DpmSolverMultistepScheduler(config, steps),
        ["DDIMScheduler"] = (config, steps, _) => new DdimScheduler(config, steps),
        ["PNDMScheduler"] = (config, steps, _) => new PndmScheduler(config, steps),
        ["LCMScheduler"] = (config, steps, _) => new LcmScheduler(config, steps),
        ["FlowMatchEulerDiscreteScheduler"] = (config, steps, sequenceLength) => new FlowMatchEulerDiscreteScheduler(config, steps, sequenceLength),
    };

    /// <summary>The canonical A1111-style names, for APIs to offer.</summary>
    public static IReadOnlyList<string> Names { get; } =
        Array.AsReadOnly(["Euler a", "Euler", "LMS", "DPM++ 2M", "DPM++ 2M Karras", "DDIM", "PNDM", "LCM", "Flow Euler"]);

    /// <summary>The diffusers class names, also accepted.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly([
        "EulerAncestralDiscreteScheduler", "EulerDiscreteScheduler", "LMSDiscreteScheduler", "DPMSolverMultistepScheduler",
        "DDIMScheduler", "PNDMScheduler", "LCMScheduler", "FlowMatchEulerDiscreteScheduler",
    ]);

    /// <summary>The A1111-style name for any accepted name ("PNDMScheduler" → "PNDM"); a class name that two A1111 names
    /// share (DPMSolverMultistepScheduler) gives the one without Karras sigmas.</summary>
    public static string DisplayName(string name)
    {
        var trimmed = name.Trim();
        return DisplayNamesByClass.TryGetValue(trimmed, out var display)
            ? display
            : Names.FirstOrDefault(n => n.Equals(trimmed, StringComparison.OrdinalIgnoreCase)) ?? trimmed;
    }

    private static readonly Dictionary<string, string> DisplayNamesByClass = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EulerAncestralDiscreteScheduler"] = "Euler a",
        ["EulerDiscreteScheduler"] = "Euler",
        ["LMSDiscreteScheduler"] = "LMS",
        ["DPMSolverMultistepScheduler"] = "DPM++ 2M",
        ["DDIMScheduler"] = "DDIM",
        ["PNDMScheduler"] = "PNDM",
        ["LCMScheduler"] = "LCM",
        ["FlowMatchEulerDiscreteScheduler"] = "Flow Euler",
    };

    /// <summary>Whether <paramref name="name"/> names a scheduler, ignoring case and surrounding spaces.</summary>
    public static bool IsKnown(string? name) => name is not null && ByName.ContainsKey(name.Trim());

    /// <summary>Whether <paramref name="name"/> is a flow-matching sampler (Flux), which predicts velocity, not noise.</summary>
    public static bool IsFlowMatch(string name) => DisplayName(name) == "Flow Euler";

    /// <summary>Creates the scheduler <paramref name="name"/> for <paramref name="steps"/> steps; a null or empty name means the
    /// config's own <c>_class_name</c>. "DPM++ 2M" and "DPM++ 2M Karras" fix use_karras_sigmas; every other name keeps the
    /// config's.</summary>
    /// <exception cref="UnknownSchedulerException">The name (or the config's class, for an empty name) is not supported.</exception>
    /// <exception cref="ArgumentException">The scheduler is "Flow Euler" and the config shifts dynamically, which needs
    /// the image sequence length: use the overload that takes it.</exception>
    public static IScheduler Create(string? name, SchedulerConfig config, int steps) => Build(name, config, steps, null);

    /// <summary>Creates the scheduler as <see cref="Create(string?, SchedulerConfig, int)"/> does, for an image whose packed
    /// latent sequence length is <paramref name="imageSequenceLength"/> (Flux: (height/16)·(width/16)), which flow-matching
    /// schedulers with <c>use_dynamic_shifting</c> shift by; the other schedulers ignore it.</summary>
    /// <exception cref="UnknownSchedulerException">The name (or the config's class, for an empty name) is not supported.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="imageSequenceLength"/> is not positive.</exception>
    public static IScheduler Create(string? name, SchedulerConfig config, int steps, int imageSequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSequenceLength, 1);
        return Build(name, config, steps, imageSequenceLength);
    }

    private static IScheduler Build(string? name, SchedulerConfig config, int steps, int? imageSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(config);
        var requested = string.IsNullOrWhiteSpace(name) ? config.ClassName : name;
        if (string.IsNullOrWhiteSpace(requested) || !ByName.TryGetValue(requested.Trim(), out var create))
            throw new UnknownSchedulerException(requested, nameof(name));
        return create(config, steps, imageSequenceLength);
    }
}
