namespace Gateway.Diffusion.Schedulers;

/// <summary>diffusers' <c>beta_schedule</c>.</summary>
public enum BetaSchedule
{
    /// <summary><c>linear</c>: betas evenly spaced from beta_start to beta_end.</summary>
    Linear,

    /// <summary><c>scaled_linear</c>: square roots evenly spaced, then squared (Stable Diffusion).</summary>
    ScaledLinear,

    /// <summary><c>squaredcos_cap_v2</c>: the GLIDE cosine schedule, betas capped at 0.999.</summary>
    SquaredCosCapV2,
}

/// <summary>diffusers' <c>prediction_type</c>: what the UNet outputs.</summary>
public enum PredictionType
{
    /// <summary><c>epsilon</c>: the noise.</summary>
    Epsilon,

    /// <summary><c>v_prediction</c>: the velocity √ᾱ·ε − √(1−ᾱ)·x₀.</summary>
    VPrediction,

    /// <summary><c>sample</c>: the clean sample x₀.</summary>
    Sample,
}

/// <summary>diffusers' <c>timestep_spacing</c> (Table 2 of arXiv:2305.08891).</summary>
public enum TimestepSpacing
{
    /// <summary><c>leading</c>: multiples of ⌊T/n⌋ from 0, plus steps_offset.</summary>
    Leading,

    /// <summary><c>trailing</c>: multiples of T/n counted down from T, minus one.</summary>
    Trailing,

    /// <summary><c>linspace</c>: n points evenly spaced over [0, T−1].</summary>
    Linspace,
}

/// <summary>diffusers' <c>interpolation_type</c> (Euler discrete).</summary>
public enum InterpolationType
{
    /// <summary><c>linear</c>: sigmas interpolated linearly in the timestep.</summary>
    Linear,

    /// <summary><c>log_linear</c>: sigmas evenly spaced in log space.</summary>
    LogLinear,
}

/// <summary>diffusers' <c>time_shift_type</c> (flow matching): how the resolution-dependent μ shifts σ.</summary>
public enum TimeShiftType
{
    /// <summary><c>exponential</c>: σ' = e^μ / (e^μ + (1/σ − 1)) (Flux).</summary>
    Exponential,

    /// <summary><c>linear</c>: σ' = μ / (μ + (1/σ − 1)).</summary>
    Linear,
}
