namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// The training noise schedule (betas, ᾱ = alphas_cumprod, sigmas) exactly as diffusers builds it in torch float32,
/// so that every scheduler sees the same numbers as its diffusers counterpart.
/// </summary>
public static class NoiseSchedule
{
    /// <summary>The betas of <paramref name="config"/> in float32, as the diffusers constructors compute them.</summary>
    /// <param name="config">The scheduler config.</param>
    /// <param name="rescaleZeroSnr">Apply <c>rescale_zero_terminal_snr</c>; pass the config's flag for the classes that accept it.</param>
    /// <param name="defaults">The built class's defaults for the beta keys the config lacks.</param>
    public static float[] Betas(SchedulerConfig config, bool rescaleZeroSnr, BetaDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var n = config.NumTrainTimesteps;
        float[] betas;
        if (config.TrainedBetas is { } trained)
        {
            betas = new float[n];
            for (var i = 0; i < n; i++)
                betas[i] = (float)trained[i];
        }
        else
        {
            var start = config.BetaStart ?? defaults.BetaStart;
            var end = config.BetaEnd ?? defaults.BetaEnd;
            var schedule = config.BetaSchedule ?? defaults.BetaSchedule;
            betas = schedule switch
            {
                BetaSchedule.Linear => TorchLinspace(start, end, n),
                BetaSchedule.ScaledLinear => Squared(TorchLinspace(Math.Sqrt(start), Math.Sqrt(end), n)),
                BetaSchedule.SquaredCosCapV2 => SquaredCosCapV2(n),
                _ => throw new ArgumentOutOfRangeException(nameof(config), schedule, "Unknown beta schedule."),
            };
        }
        return rescaleZeroSnr ? RescaleZeroTerminalSnr(betas) : betas;
    }

    /// <summary>ᾱ_t = ∏(1 − β): torch's CPU cumprod multiplies in double and rounds each output to float32.</summary>
    public static float[] AlphasCumprod(ReadOnlySpan<float> betas)
    {
        var result = new float[betas.Length];
        var product = 1.0;
        for (var i = 0; i < betas.Length; i++)
        {
            product *= 1f - betas[i];
            result[i] = (float)product;
        }
        return result;
    }

    /// <summary>σ_t = √((1 − ᾱ_t) / ᾱ_t) for every training timestep, ascending in t, in float32 like diffusers' tensors.</summary>
    internal static float[] TrainSigmas(ReadOnlySpan<float> alphasCumprod)
    {
        var sigmas = new float[alphasCumprod.Length];
        for (var i = 0; i < sigmas.Length; i++)
            sigmas[i] = MathF.Sqrt((1f - alphasCumprod[i]) / alphasCumprod[i]);
        return sigmas;
    }

    /// <summary>The float32 log of each sigma (<c>np.log</c> of a float32 array).</summary>
    internal static float[] LogSigmas(ReadOnlySpan<float> sigmas)
    {
        var logs = new float[sigmas.Length];
        for (var i = 0; i < logs.Length; i++)
            logs[i] = MathF.Log(sigmas[i]);
        return logs;
    }

    /// <summary>Karras et al. (2022) sigmas with ρ = 7 (diffusers' <c>_convert_to_karras</c>):
    /// (σmax^(1/ρ) + ramp·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ with ramp = linspace(0, 1, n).</summary>
    internal static double[] KarrasSigmas(double sigmaMin, double sigmaMax, int n)
    {
        const double rho = 7.0;
        var minInvRho = Math.Pow(sigmaMin, 1 / rho);
        var maxInvRho = Math.Pow(sigmaMax, 1 / rho);
        var ramp = NumPy.Linspace(0, 1, n);
        var sigmas = new double[n];
        for (var i = 0; i < n; i++)
            sigmas[i] = Math.Pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
        return sigmas;
    }

    /// <summary>The fractional training timestep of <paramref name="sigma"/>: linear interpolation in log σ between
    /// neighbouring training sigmas (diffusers' <c>_sigma_to_t</c>, including its clamping at both ends).</summary>
    internal static double SigmaToT(double sigma, ReadOnlySpan<float> logSigmas)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        // Last index whose log sigma is <= logSigma (0 when there is none), capped so that low + 1 exists.
        var low = 0;
        for (var i = 0; i < logSigmas.Length; i++)
        {
            if (logSigma - logSigmas[i] >= 0)
                low = i;
        }
        low = Math.Min(low, logSigmas.Length - 2);
        var lowLog = logSigmas[low];
        var highLog = logSigmas[low + 1];
        // numpy subtracts the two float32 scalars in float32.
        var w = Math.Clamp((lowLog - logSigma) / (lowLog - highLog), 0.0, 1.0);
        return (1 - w) * low + w * (low + 1);
    }

    /// <summary><c>torch.linspace(start, end, n, dtype=float32)</c> on CPU: float32 step, counted from the start for the
    /// first half and from the end for the second.</summary>
    private static float[] TorchLinspace(double start, double end, int n)
    {
        var result = new float[n];
        var first = (float)start;
        if (n == 1)
        {
            result[0] = first;
            return result;
        }
        var last = (float)end;
        var step = (last - first) / (n - 1);
        var halfway = n / 2;
        for (var i = 0; i < n; i++)
            result[i] = i < halfway ? first + step * i : last - step * (n - i - 1);
        return result;
    }

    private static float[] Squared(float[] values)
    {
        for (var i = 0; i < values.Length; i++)
            values[i] *= values[i];
        return values;
    }

    /// <summary>diffusers' <c>betas_for_alpha_bar</c> with the cosine ᾱ of GLIDE, in float64 then stored as float32.</summary>
    private static float[] SquaredCosCapV2(int n)
    {
        static double AlphaBar(double t)
        {
            var c = Math.Cos((t + 0.008) / 1.008 * Math.PI / 2);
            return c * c;
        }

        var betas = new float[n];
        for (var i = 0; i < n; i++)
            betas[i] = (float)Math.Min(1 - AlphaBar((i + 1) / (double)n) / AlphaBar(i / (double)n), 0.999);
        return betas;
    }

    /// <summary>diffusers' <c>rescale_zero_terminal_snr</c> (arXiv:2305.08891, Algorithm 1), in float32: shifts √ᾱ so the
    /// last timestep has zero signal and rescales so the first keeps its value.</summary>
    private static float[] RescaleZeroTerminalSnr(float[] betas)
    {
        var n = betas.Length;
        var sqrtAlphaBar = AlphasCumprod(betas);
        for (var i = 0; i < n; i++)
            sqrtAlphaBar[i] = MathF.Sqrt(sqrtAlphaBar[i]);
        var first = sqrtAlphaBar[0];
        var last = sqrtAlphaBar[n - 1];
        var scale = first / (first - last);
        var alphaBar = new float[n];
        for (var i = 0; i < n; i++)
        {
            var shifted = (sqrtAlphaBar[i] - last) * scale;
            alphaBar[i] = shifted * shifted;
        }
        var rescaled = new float[n];
        rescaled[0] = 1f - alphaBar[0];
        for (var i = 1; i < n; i++)
            rescaled[i] = 1f - alphaBar[i] / alphaBar[i - 1];
        return rescaled;
    }
}
