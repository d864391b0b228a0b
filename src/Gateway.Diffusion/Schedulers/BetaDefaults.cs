namespace Gateway.Diffusion.Schedulers;

/// <summary>One diffusers scheduler class's constructor defaults for <c>beta_start</c>, <c>beta_end</c> and
/// <c>beta_schedule</c>, which apply when the config lacks those keys.</summary>
public sealed record BetaDefaults(double BetaStart, double BetaEnd, BetaSchedule BetaSchedule)
{
    /// <summary>DDPM's linear 0.0001 → 0.02: the default of DDIM, PNDM, Euler, Euler a, LMS and DPM-Solver.</summary>
    public static BetaDefaults Ddpm { get; } = new(0.0001, 0.02, BetaSchedule.Linear);

    /// <summary><c>LCMScheduler</c>'s: Stable Diffusion's scaled_linear 0.00085 → 0.012.</summary>
    public static BetaDefaults Lcm { get; } = new(0.00085, 0.012, BetaSchedule.ScaledLinear);
}
