using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>LCMScheduler</c> (latent consistency models): each step jumps to the consistency-function estimate
/// denoised = c_out·x₀ + c_skip·x and, except after the last step, re-noises it to the next timestep with fresh noise.
/// </summary>
public sealed class LcmScheduler : AlphaProductScheduler
{
    /// <summary>diffusers' <c>sigma_data</c> of the boundary-condition scalings.</summary>
    private const double SigmaData = 0.5;

    private readonly bool _clipSample;
    private readonly float _clipRange;
    private float[]? _noise;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps, which must not exceed
    /// <see cref="SchedulerConfig.OriginalInferenceSteps"/>.</summary>
    public LcmScheduler(SchedulerConfig config, int inferenceSteps)
        : base(BuildTimesteps(config, inferenceSteps), config, inferenceSteps, acceptsZeroSnrRescale: true, setAlphaToOneByDefault: true,
            BetaDefaults.Lcm)
    {
        _clipSample = config.ClipSample ?? false;
        _clipRange = (float)config.ClipSampleRange;
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        CheckStep(modelOutput, index, sample, noise);
        var timestep = TimestepAt(index);
        var isLast = index == TimestepValues.Length - 1;
        // diffusers: the next timestep, or the current one on the last step (whose result is not re-noised anyway).
        var alphaProd = AlphasCumprod[timestep];
        var alphaProdPrev = AlphaProductAt(isLast ? timestep : TimestepAt(index + 1));
        var sqrtAlpha = MathF.Sqrt(alphaProd);
        var sqrtBeta = MathF.Sqrt(1f - alphaProd);
        var sqrtAlphaPrev = MathF.Sqrt(alphaProdPrev);
        var sqrtBetaPrev = MathF.Sqrt(1f - alphaProdPrev);
        var (cSkip, cOut) = BoundaryScalings(timestep, Config.TimestepScaling);

        float[]? fresh = null;
        if (!isLast)
        {
            fresh = SchedulerMath.Buffer(ref _noise, sample.Length);
            noise.NextGaussian(fresh);
        }

        for (var i = 0; i < sample.Length; i++)
        {
            var x = sample[i];
            var output = modelOutput[i];
            var original = Config.PredictionType switch
            {
                PredictionType.Epsilon => (x - sqrtBeta * output) / sqrtAlpha,
                PredictionType.Sample => output,
                _ => sqrtAlpha * x - sqrtBeta * output,
            };
            if (_clipSample)
                original = Math.Clamp(original, -_clipRange, _clipRange);
            var denoised = cOut * original + cSkip * x;
            sample[i] = fresh is null ? denoised : sqrtAlphaPrev * denoised + sqrtBetaPrev * fresh[i];
        }
    }

    /// <summary>diffusers' <c>get_scalings_for_boundary_condition_discrete</c> with s = timestep·timestep_scaling:
    /// c_skip = σ_data²/(s² + σ_data²), c_out = s/√(s² + σ_data²); at s = 0 the step returns x unchanged.</summary>
    internal static (float Skip, float Out) BoundaryScalings(int timestep, double timestepScaling)
    {
        var scaled = timestep * timestepScaling;
        var denominator = scaled * scaled + SigmaData * SigmaData;
        return ((float)(SigmaData * SigmaData / denominator), (float)(scaled / Math.Sqrt(denominator)));
    }

    /// <summary>diffusers' LCM schedule: the distillation timesteps k·i − 1 (i = 1…original_inference_steps,
    /// k = T // original_inference_steps), descending, sampled at floor(linspace(0, len, n, endpoint=False)).</summary>
    private static float[] BuildTimesteps(SchedulerConfig config, int inferenceSteps)
    {
        SchedulerMath.CheckSteps(config, inferenceSteps);
        var originalSteps = config.OriginalInferenceSteps;
        if (originalSteps > config.NumTrainTimesteps)
            throw new ArgumentException(
                $"original_inference_steps ({originalSteps}) cannot exceed num_train_timesteps ({config.NumTrainTimesteps}).", nameof(config));
        if (inferenceSteps > originalSteps)
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps,
                $"LCM takes at most original_inference_steps ({originalSteps}) steps: its schedule is a subset of that one.");
        var k = config.NumTrainTimesteps / originalSteps;
        var timesteps = new float[inferenceSteps];
        for (var i = 0; i < inferenceSteps; i++)
        {
            // Position i·len/n of the descending list whose entry j is k·(len − j) − 1.
            var j = (int)Math.Floor(i * ((double)originalSteps / inferenceSteps));
            timesteps[i] = k * (originalSteps - j) - 1;
        }
        return timesteps;
    }
}
