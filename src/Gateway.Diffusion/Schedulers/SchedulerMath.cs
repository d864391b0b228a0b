namespace Gateway.Diffusion.Schedulers;

/// <summary>Argument checks and small pieces shared by every scheduler.</summary>
internal static class SchedulerMath
{
    /// <summary>Rejects step counts diffusers' <c>set_timesteps</c> rejects.</summary>
    public static void CheckSteps(SchedulerConfig config, int inferenceSteps)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (inferenceSteps < 1 || inferenceSteps > config.NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps,
                $"The number of inference steps must be between 1 and num_train_timesteps ({config.NumTrainTimesteps}).");
    }

    /// <summary>diffusers' img2img <c>get_timesteps</c>: <c>init_timestep = min(int(steps·strength), steps)</c>,
    /// <c>t_start = max(steps − init_timestep, 0)</c>; every scheduler here has <c>order = 1</c>, so the index is t_start.
    /// No step left (init_timestep = 0) gives <paramref name="count"/>.</summary>
    public static int StartIndexForStrength(double strength, int inferenceSteps, int count)
    {
        if (!(strength >= 0 && strength <= 1))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "Strength must be in [0, 1].");
        var initTimestep = Math.Min((int)(inferenceSteps * strength), inferenceSteps);
        return initTimestep == 0 ? count : Math.Max(inferenceSteps - initTimestep, 0);
    }

    public static void CheckIndex(int index, int count)
    {
        if ((uint)index >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The evaluation index must be in [0, {count}).");
    }

    public static void CheckLengths(int expected, int actual, string paramName)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected {expected} elements, got {actual}.", paramName);
    }

    /// <summary>Timesteps in descending order as DDIM, PNDM (reversed), Euler, Euler a and LMS compute them from
    /// <c>timestep_spacing</c>. Only DDIM/PNDM round the linspace variant; the sigma schedulers keep it fractional.</summary>
    public static double[] DescendingTimesteps(TimestepSpacing spacing, int trainSteps, int steps, int stepsOffset, bool roundLinspace)
    {
        double[] timesteps;
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                timesteps = NumPy.Linspace(0, trainSteps - 1, steps);
                if (roundLinspace)
                    RoundInPlace(timesteps);
                Array.Reverse(timesteps);
                return timesteps;
            case TimestepSpacing.Leading:
                // Integer multiples of the floored ratio: (arange(0, n) * (T // n)).round()[::-1] + steps_offset.
                var ratio = trainSteps / steps;
                timesteps = new double[steps];
                for (var i = 0; i < steps; i++)
                    timesteps[i] = (double)(steps - 1 - i) * ratio + stepsOffset;
                return timesteps;
            case TimestepSpacing.Trailing:
                // np.round(np.arange(T, 0, -T / n)) - 1: already descending. Where T / (T / n) rounds above n
                // (n = 61 for T = 1000) numpy appends a value of ~1e-13, i.e. timestep -1, which diffusers then
                // indexes from the end of ᾱ; only the first n values are kept here.
                timesteps = NumPy.Arange(trainSteps, 0, -(double)trainSteps / steps)[..steps];
                RoundInPlace(timesteps);
                for (var i = 0; i < timesteps.Length; i++)
                    timesteps[i] -= 1;
                return timesteps;
            default:
                throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "Unknown timestep spacing.");
        }
    }

    /// <summary><c>np.round</c>: half to even.</summary>
    public static void RoundInPlace(double[] values)
    {
        for (var i = 0; i < values.Length; i++)
            values[i] = Math.Round(values[i], MidpointRounding.ToEven);
    }

    /// <summary>Float timesteps for <see cref="IScheduler.Timesteps"/>.</summary>
    public static float[] ToFloats(double[] values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
            result[i] = (float)values[i];
        return result;
    }

    /// <summary>x₀ from variance-preserving latents x = α·x₀ + σ·ε: epsilon (x − σ·ε)/α, v-prediction α·x − σ·v, sample
    /// the output itself.</summary>
    public static void OriginalFromVp(PredictionType prediction, float alpha, float sigma, ReadOnlySpan<float> output,
        ReadOnlySpan<float> sample, Span<float> destination)
    {
        for (var i = 0; i < sample.Length; i++)
        {
            destination[i] = prediction switch
            {
                PredictionType.Epsilon => (sample[i] - sigma * output[i]) / alpha,
                PredictionType.VPrediction => alpha * sample[i] - sigma * output[i],
                _ => output[i],
            };
        }
    }

    /// <summary>A reusable buffer of <paramref name="length"/> elements, allocated on first use.</summary>
    public static float[] Buffer(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length != length)
            buffer = new float[length];
        return buffer;
    }
}
