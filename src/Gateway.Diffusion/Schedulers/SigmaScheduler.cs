using System.Collections.ObjectModel;
using System.Numerics.Tensors;
using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// Base of the k-diffusion style schedulers (Euler, Euler a, LMS): latents live at noise level σ,
/// x = x₀ + σ·ε, so the UNet input is divided by √(σ² + 1) and image-to-image adds σ·noise.
/// </summary>
public abstract class SigmaScheduler : IScheduler
{
    private readonly ReadOnlyCollection<float> _timestepView;
    private float[]? _original;
    private float[]? _scaledSample;

    /// <param name="config">The scheduler config.</param>
    /// <param name="inferenceSteps">The number of UNet evaluations.</param>
    /// <param name="acceptsZeroSnrRescale">Whether the diffusers class has <c>rescale_betas_zero_snr</c> (from_config drops it otherwise).</param>
    /// <param name="useKarrasSigmas">Overrides the config's <c>use_karras_sigmas</c> when not null.</param>
    private protected SigmaScheduler(SchedulerConfig config, int inferenceSteps, bool acceptsZeroSnrRescale, bool? useKarrasSigmas)
    {
        SchedulerMath.CheckSteps(config, inferenceSteps);
        InferenceSteps = inferenceSteps;
        PredictionType = config.PredictionType;
        var rescaleZeroSnr = acceptsZeroSnrRescale && config.RescaleBetasZeroSnr;

        var alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(config, rescaleZeroSnr, BetaDefaults.Ddpm));
        if (rescaleZeroSnr)
            alphasCumprod[^1] = 1f / (1 << 24); // diffusers: close to 0 without being 0, so the first sigma is not inf.
        var trainSigmas = NoiseSchedule.TrainSigmas(alphasCumprod);

        var spacing = config.TimestepSpacing ?? TimestepSpacing.Linspace;
        // diffusers casts the timesteps to float32 before interpolating the sigmas at them.
        var timesteps = SchedulerMath.ToFloats(SchedulerMath.DescendingTimesteps(
            spacing, config.NumTrainTimesteps, inferenceSteps, config.StepsOffset, roundLinspace: false));
        var sigmas = new double[timesteps.Length];
        for (var i = 0; i < sigmas.Length; i++)
            sigmas[i] = NumPy.InterpAtIndex(timesteps[i], trainSigmas);

        if (useKarrasSigmas ?? config.UseKarrasSigmas)
        {
            // Karras sigmas span the interpolated schedule's own ends; the UNet gets the fractional timestep of each.
            sigmas = NoiseSchedule.KarrasSigmas(sigmas[^1], sigmas[0], inferenceSteps);
            var logSigmas = NoiseSchedule.LogSigmas(trainSigmas);
            timesteps = new float[sigmas.Length];
            for (var i = 0; i < sigmas.Length; i++)
                timesteps[i] = (float)NoiseSchedule.SigmaToT(sigmas[i], logSigmas);
        }

        // One sigma per timestep plus the final 0.
        Sigmas = new float[sigmas.Length + 1];
        for (var i = 0; i < sigmas.Length; i++)
            Sigmas[i] = (float)sigmas[i];
        TimestepValues = timesteps;
        _timestepView = Array.AsReadOnly(timesteps);

        // diffusers' init_noise_sigma: σmax for linspace/trailing, √(σmax² + 1) for leading.
        var maxSigma = TensorPrimitives.Max<float>(Sigmas);
        InitNoiseSigma = spacing == TimestepSpacing.Leading ? MathF.Sqrt(maxSigma * maxSigma + 1f) : maxSigma;
    }

    private protected int InferenceSteps { get; }

    private protected PredictionType PredictionType { get; }

    private protected float[] TimestepValues { get; }

    /// <summary>σ for each evaluation, followed by the final σ = 0.</summary>
    internal float[] Sigmas { get; }

    /// <inheritdoc />
    public IReadOnlyList<float> Timesteps => _timestepView;

    /// <inheritdoc />
    public float InitNoiseSigma { get; }

    /// <inheritdoc />
    public void ScaleModelInput(ReadOnlySpan<float> sample, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        var sigma = Sigmas[index];
        TensorPrimitives.Divide(sample, MathF.Sqrt(sigma * sigma + 1f), destination);
    }

    /// <inheritdoc />
    public abstract void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise);

    /// <inheritdoc />
    public void EstimateOriginal(ReadOnlySpan<float> modelOutput, int index, ReadOnlySpan<float> sample, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        var c = new SigmaCoefficients(Sigmas[index]);
        switch (PredictionType)
        {
            case PredictionType.Epsilon:
                TensorPrimitives.Multiply(modelOutput, c.Sigma, destination);
                TensorPrimitives.Subtract(sample, destination, destination);
                break;
            case PredictionType.VPrediction:
                for (var i = 0; i < sample.Length; i++)
                    destination[i] = modelOutput[i] * c.VOutput + sample[i] / c.VSampleDivisor;
                break;
            default:
                modelOutput.CopyTo(destination);
                break;
        }
    }

    /// <inheritdoc />
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(original.Length, noise.Length, nameof(noise));
        SchedulerMath.CheckLengths(original.Length, destination.Length, nameof(destination));
        TensorPrimitives.MultiplyAdd(noise, Sigmas[index], original, destination);
    }

    /// <inheritdoc />
    public int StartIndexForStrength(double strength) =>
        SchedulerMath.StartIndexForStrength(strength, InferenceSteps, TimestepValues.Length);

    /// <summary>Validates a step's arguments.</summary>
    private protected void CheckStep(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
    }

    /// <summary>The Euler derivative (x − x₀)/σ of every element into <paramref name="destination"/>, with diffusers'
    /// <c>pred_original_sample</c> of the sigma schedulers: epsilon: x − σ·ε; v-prediction: v·(−σ/√(σ²+1)) + x/(σ²+1);
    /// sample: the output itself. Vectorised, with diffusers' float32 operations in its order, so the same values.</summary>
    private protected void Derivative(ReadOnlySpan<float> sample, ReadOnlySpan<float> output, in SigmaCoefficients c, Span<float> destination)
    {
        var original = SchedulerMath.Buffer(ref _original, sample.Length);
        switch (PredictionType)
        {
            case PredictionType.Epsilon:
                TensorPrimitives.Multiply(output, c.Sigma, original);
                TensorPrimitives.Subtract(sample, original, original);
                break;
            case PredictionType.VPrediction:
                var scaled = SchedulerMath.Buffer(ref _scaledSample, sample.Length);
                TensorPrimitives.Multiply(output, c.VOutput, original);
                TensorPrimitives.Divide(sample, c.VSampleDivisor, scaled);
                TensorPrimitives.Add(original, scaled, original);
                break;
            default:
                output.CopyTo(original);
                break;
        }
        TensorPrimitives.Subtract(sample, original, destination);
        TensorPrimitives.Divide(destination, c.Sigma, destination);
    }

    /// <summary>The float32 scalars of one step's x₀ prediction.</summary>
    private protected readonly struct SigmaCoefficients(float sigma)
    {
        public float Sigma { get; } = sigma;

        public float VOutput { get; } = -sigma / MathF.Sqrt(sigma * sigma + 1f);

        public float VSampleDivisor { get; } = sigma * sigma + 1f;
    }
}
