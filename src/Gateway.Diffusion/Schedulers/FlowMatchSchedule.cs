namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// The sigmas of diffusers' <c>FlowMatchEulerDiscreteScheduler.set_timesteps</c> for the schedule the Flux pipelines ask
/// for (<c>sigmas = linspace(1, 1/N, N)</c>, <c>mu = calculate_shift(image_seq_len)</c>), in numpy's float32 operations
/// and order so that the values come out identical.
/// </summary>
public static class FlowMatchSchedule
{
    /// <summary>diffusers' <c>calculate_shift</c>: μ linear in the packed image sequence length, from
    /// (base_image_seq_len, base_shift) to (max_image_seq_len, max_shift), in double as Python computes it.</summary>
    public static double CalculateShift(SchedulerConfig config, int imageSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(config);
        var slope = (config.MaxShift - config.BaseShift) / (config.MaxImageSeqLen - config.BaseImageSeqLen);
        var intercept = config.BaseShift - slope * config.BaseImageSeqLen;
        return imageSequenceLength * slope + intercept;
    }

    /// <summary>The <paramref name="steps"/> sigmas fed to the model, from the pure-noise end down, without the final one.</summary>
    /// <param name="config">The scheduler config.</param>
    /// <param name="steps">The number of model evaluations.</param>
    /// <param name="mu">μ for dynamic shifting (ignored otherwise).</param>
    public static float[] Sigmas(SchedulerConfig config, int steps, double mu)
    {
        ArgumentNullException.ThrowIfNull(config);
        var linear = NumPy.Linspace(1.0, 1.0 / steps, steps);
        var sigmas = new float[steps];
        for (var i = 0; i < steps; i++)
            sigmas[i] = (float)linear[i];

        if (config.UseDynamicShifting)
            TimeShift(sigmas, config.TimeShiftType, mu);
        else
            StaticShift(sigmas, config.Shift);
        if (config.ShiftTerminal is { } terminal && terminal != 0)
            StretchToTerminal(sigmas, terminal);

        if (config.UseKarrasSigmas)
            sigmas = SchedulerMath.ToFloats(NoiseSchedule.KarrasSigmas(sigmas[^1], sigmas[0], steps));
        else if (config.UseExponentialSigmas)
            sigmas = SchedulerMath.ToFloats(ExponentialSigmas(sigmas[^1], sigmas[0], steps));
        return sigmas;
    }

    /// <summary>σ' = s·σ / (1 + (s − 1)·σ); numpy casts the Python scalars s and s − 1 to float32.</summary>
    private static void StaticShift(float[] sigmas, double shift)
    {
        var s = (float)shift;
        var sMinusOne = (float)(shift - 1);
        for (var i = 0; i < sigmas.Length; i++)
            sigmas[i] = s * sigmas[i] / (1f + sMinusOne * sigmas[i]);
    }

    /// <summary>diffusers' <c>time_shift(mu, 1.0, σ)</c>: e^μ / (e^μ + (1/σ − 1)) or μ / (μ + (1/σ − 1)).</summary>
    private static void TimeShift(float[] sigmas, TimeShiftType type, double mu)
    {
        var m = (float)(type == TimeShiftType.Exponential ? Math.Exp(mu) : mu);
        for (var i = 0; i < sigmas.Length; i++)
            sigmas[i] = m / (m + (1f / sigmas[i] - 1f));
    }

    /// <summary>diffusers' <c>stretch_shift_to_terminal</c>: 1 − (1 − σ)/k with k = (1 − σ_last)/(1 − terminal); k is a
    /// float64 numpy scalar that the float32 division casts back to float32.</summary>
    private static void StretchToTerminal(float[] sigmas, double terminal)
    {
        var scale = (float)((1f - sigmas[^1]) / (1 - terminal));
        for (var i = 0; i < sigmas.Length; i++)
            sigmas[i] = 1f - (1f - sigmas[i]) / scale;
    }

    /// <summary>diffusers' <c>_convert_to_exponential</c>: exp(linspace(ln σmax, ln σmin, n)) in double.</summary>
    private static double[] ExponentialSigmas(double sigmaMin, double sigmaMax, int n)
    {
        var logs = NumPy.Linspace(Math.Log(sigmaMax), Math.Log(sigmaMin), n);
        for (var i = 0; i < n; i++)
            logs[i] = Math.Exp(logs[i]);
        return logs;
    }
}
