using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>DDIMScheduler</c> (Song et al. 2020, eqs. 12 and 16):
/// x_prev = √ᾱ_prev·x₀ + √(1 − ᾱ_prev − σ_t²)·ε + σ_t·z with σ_t = η·√((1 − ᾱ_prev)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_prev)).
/// η = 0 is deterministic; η &gt; 0 draws one noise tensor per step.
/// </summary>
public sealed class DdimScheduler : AlphaProductScheduler
{
    private readonly int _stepRatio;
    private readonly float _eta;
    private readonly bool _clipSample;
    private readonly float _clipRange;
    private float[]? _noise;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps.</summary>
    /// <param name="config">The scheduler config.</param>
    /// <param name="inferenceSteps">The number of UNet evaluations.</param>
    /// <param name="eta">DDIM's η (diffusers' <c>eta</c> argument of <c>step</c>, 0 in its pipelines by default).</param>
    public DdimScheduler(SchedulerConfig config, int inferenceSteps, double eta = 0.0)
        : base(BuildTimesteps(config, inferenceSteps), config, inferenceSteps, acceptsZeroSnrRescale: true, setAlphaToOneByDefault: true,
            BetaDefaults.Ddpm)
    {
        if (!(eta >= 0))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "Eta must not be negative.");
        _eta = (float)eta;
        // diffusers steps back by T // n whatever the spacing.
        _stepRatio = config.NumTrainTimesteps / inferenceSteps;
        _clipSample = config.ClipSample ?? true;
        _clipRange = (float)config.ClipSampleRange;
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        CheckStep(modelOutput, index, sample, noise);
        var timestep = TimestepAt(index);
        var alphaProd = AlphasCumprod[timestep];
        var alphaProdPrev = AlphaProductAt(timestep - _stepRatio);
        var betaProd = 1f - alphaProd;
        var betaProdPrev = 1f - alphaProdPrev;

        var sqrtAlpha = MathF.Sqrt(alphaProd);
        var sqrtBeta = MathF.Sqrt(betaProd);
        var sqrtAlphaPrev = MathF.Sqrt(alphaProdPrev);
        var variance = betaProdPrev / betaProd * (1f - alphaProd / alphaProdPrev);
        var stdDev = _eta * MathF.Sqrt(variance);
        var direction = MathF.Sqrt(1f - alphaProdPrev - stdDev * stdDev);

        float[]? fresh = null;
        if (_eta > 0)
        {
            fresh = SchedulerMath.Buffer(ref _noise, sample.Length);
            noise.NextGaussian(fresh);
        }

        for (var i = 0; i < sample.Length; i++)
        {
            var x = sample[i];
            var output = modelOutput[i];
            float original, epsilon;
            switch (Config.PredictionType)
            {
                case PredictionType.Epsilon:
                    original = (x - sqrtBeta * output) / sqrtAlpha;
                    epsilon = output;
                    break;
                case PredictionType.Sample:
                    original = output;
                    epsilon = (x - sqrtAlpha * original) / sqrtBeta;
                    break;
                default:
                    original = sqrtAlpha * x - sqrtBeta * output;
                    epsilon = sqrtAlpha * output + sqrtBeta * x;
                    break;
            }
            // Clipping changes x₀ only: diffusers keeps ε unless use_clipped_model_output, which its pipelines leave off.
            if (_clipSample)
                original = Math.Clamp(original, -_clipRange, _clipRange);
            var previous = sqrtAlphaPrev * original + direction * epsilon;
            if (fresh is not null)
                previous += stdDev * fresh[i];
            sample[i] = previous;
        }
    }

    private static float[] BuildTimesteps(SchedulerConfig config, int inferenceSteps)
    {
        SchedulerMath.CheckSteps(config, inferenceSteps);
        return SchedulerMath.ToFloats(SchedulerMath.DescendingTimesteps(
            config.TimestepSpacing ?? TimestepSpacing.Leading, config.NumTrainTimesteps, inferenceSteps, config.StepsOffset, roundLinspace: true));
    }
}
