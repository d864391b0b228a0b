using System.Collections.ObjectModel;
using System.Numerics.Tensors;
using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>DPMSolverMultistepScheduler</c> as "DPM++ 2M": algorithm_type dpmsolver++, solver_order 2,
/// solver_type midpoint, lower_order_final, final_sigmas_type zero (its defaults). It works on the VP latents
/// x = α_t·x₀ + σ_t·ε with α_t = 1/√(σ² + 1), σ_t = σ·α_t, so the UNet input is not scaled and the initial noise has
/// unit variance. The first step (and the last) is first order; the others extrapolate from the previous x₀ estimate.
/// </summary>
public sealed class DpmSolverMultistepScheduler : IScheduler
{
    private readonly int _inferenceSteps;
    private readonly PredictionType _predictionType;
    private readonly float[] _timesteps;
    private readonly ReadOnlyCollection<float> _timestepView;
    private float[]? _current;
    private float[]? _previous;
    private float[]? _scratch;
    private float[]? _scratch2;
    private int _lowerOrderNums;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps; <c>use_karras_sigmas</c> comes from the config
    /// unless <paramref name="useKarrasSigmas"/> overrides it ("DPM++ 2M" vs "DPM++ 2M Karras").</summary>
    public DpmSolverMultistepScheduler(SchedulerConfig config, int inferenceSteps, bool? useKarrasSigmas = null)
    {
        SchedulerMath.CheckSteps(config, inferenceSteps);
        _inferenceSteps = inferenceSteps;
        _predictionType = config.PredictionType;

        var alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(config, config.RescaleBetasZeroSnr, BetaDefaults.Ddpm));
        if (config.RescaleBetasZeroSnr)
            alphasCumprod[^1] = 1f / (1 << 24); // diffusers: close to 0 without being 0, so the first sigma is not inf.
        var trainSigmas = NoiseSchedule.TrainSigmas(alphasCumprod);

        double[] timesteps, sigmas;
        if (useKarrasSigmas ?? config.UseKarrasSigmas)
        {
            // Karras sigmas over the whole training range; the UNet gets the nearest integer timestep of each.
            sigmas = NoiseSchedule.KarrasSigmas(trainSigmas[0], trainSigmas[^1], inferenceSteps);
            var logSigmas = NoiseSchedule.LogSigmas(trainSigmas);
            timesteps = new double[sigmas.Length];
            for (var i = 0; i < sigmas.Length; i++)
                timesteps[i] = NoiseSchedule.SigmaToT(sigmas[i], logSigmas);
            SchedulerMath.RoundInPlace(timesteps);
        }
        else
        {
            timesteps = SpacedTimesteps(config.TimestepSpacing ?? TimestepSpacing.Linspace, config.NumTrainTimesteps, inferenceSteps, config.StepsOffset);
            sigmas = new double[timesteps.Length];
            for (var i = 0; i < sigmas.Length; i++)
                sigmas[i] = NumPy.InterpAtIndex(timesteps[i], trainSigmas);
        }

        Sigmas = new float[sigmas.Length + 1];
        for (var i = 0; i < sigmas.Length; i++)
            Sigmas[i] = (float)sigmas[i];
        _timesteps = SchedulerMath.ToFloats(timesteps);
        _timestepView = Array.AsReadOnly(_timesteps);
    }

    /// <summary>σ for each evaluation, followed by the final σ = 0.</summary>
    internal float[] Sigmas { get; }

    /// <inheritdoc />
    public IReadOnlyList<float> Timesteps => _timestepView;

    /// <inheritdoc />
    public float InitNoiseSigma => 1f;

    /// <inheritdoc />
    public void ScaleModelInput(ReadOnlySpan<float> sample, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        sample.CopyTo(destination);
    }

    /// <inheritdoc />
    public void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));

        // model_outputs keeps the last two x₀ estimates: reuse the older buffer for the new one.
        (_current, _previous) = (SchedulerMath.Buffer(ref _previous, sample.Length), _current);
        var x0 = _current;
        var (alphaS0, sigmaS0) = AlphaSigma(Sigmas[index]);
        // Vectorised, with diffusers' float32 operations in its order (so the same values):
        // epsilon (x − σ·ε)/α, v-prediction α·x − σ·v, sample the output itself.
        switch (_predictionType)
        {
            case PredictionType.Epsilon:
                TensorPrimitives.Multiply(modelOutput, sigmaS0, x0);
                TensorPrimitives.Subtract(sample, x0, x0);
                TensorPrimitives.Divide(x0, alphaS0, x0);
                break;
            case PredictionType.Sample:
                modelOutput.CopyTo(x0);
                break;
            default:
                var scratch = SchedulerMath.Buffer(ref _scratch, sample.Length);
                TensorPrimitives.Multiply(sample, alphaS0, x0);
                TensorPrimitives.Multiply(modelOutput, sigmaS0, scratch);
                TensorPrimitives.Subtract(x0, scratch, x0);
                break;
        }

        // lower_order_final holds on the last step whenever final_sigmas_type is "zero".
        var lastStep = index == _timesteps.Length - 1;
        if (_lowerOrderNums < 1 || lastStep)
            FirstOrderUpdate(index, x0, sample);
        else
            SecondOrderUpdate(index, x0, _previous!, sample);
        if (_lowerOrderNums < 2)
            _lowerOrderNums++;
    }

    /// <inheritdoc />
    public void EstimateOriginal(ReadOnlySpan<float> modelOutput, int index, ReadOnlySpan<float> sample, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        // The VP latents x = α·x₀ + σ_t·ε, α = 1/√(σ² + 1), σ_t = σ·α.
        var sigma = Sigmas[index];
        var alpha = 1f / MathF.Sqrt(sigma * sigma + 1f);
        SchedulerMath.OriginalFromVp(_predictionType, alpha, sigma * alpha, modelOutput, sample, destination);
    }

    /// <inheritdoc />
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(original.Length, noise.Length, nameof(noise));
        SchedulerMath.CheckLengths(original.Length, destination.Length, nameof(destination));
        // diffusers' add_noise here is α_t·x + σ_t·n, not x + σ·n: the solver's latents are VP-scaled.
        var (alpha, sigma) = AlphaSigma(Sigmas[index]);
        for (var i = 0; i < original.Length; i++)
            destination[i] = alpha * original[i] + sigma * noise[i];
    }

    /// <inheritdoc />
    public int StartIndexForStrength(double strength) =>
        SchedulerMath.StartIndexForStrength(strength, _inferenceSteps, _timesteps.Length);

    /// <summary>DPM-Solver++ first order (equivalent to DDIM): x_t = (σ_t/σ_s)·x − α_t·(e^(−h) − 1)·x₀, h = λ_t − λ_s.</summary>
    private void FirstOrderUpdate(int index, ReadOnlySpan<float> x0, Span<float> sample)
    {
        var (alphaT, sigmaT) = AlphaSigmaDouble(Sigmas[index + 1]);
        var (alphaS, sigmaS) = AlphaSigmaDouble(Sigmas[index]);
        var h = Lambda(alphaT, sigmaT) - Lambda(alphaS, sigmaS);
        var sampleScale = (float)(sigmaT / sigmaS);
        var x0Scale = (float)(alphaT * (Math.Exp(-h) - 1.0));
        var scaledX0 = SchedulerMath.Buffer(ref _scratch, sample.Length);
        TensorPrimitives.Multiply(sample, sampleScale, sample);
        TensorPrimitives.Multiply(x0, x0Scale, scaledX0);
        TensorPrimitives.Subtract(sample, scaledX0, sample);
    }

    /// <summary>DPM-Solver++(2M) midpoint: D0 = m0, D1 = (m0 − m1)/r0 with r0 = h₀/h, and
    /// x_t = (σ_t/σ_s0)·x − α_t·(e^(−h) − 1)·D0 − ½·α_t·(e^(−h) − 1)·D1.</summary>
    private void SecondOrderUpdate(int index, ReadOnlySpan<float> m0, ReadOnlySpan<float> m1, Span<float> sample)
    {
        var (alphaT, sigmaT) = AlphaSigmaDouble(Sigmas[index + 1]);
        var (alphaS0, sigmaS0) = AlphaSigmaDouble(Sigmas[index]);
        var (alphaS1, sigmaS1) = AlphaSigmaDouble(Sigmas[index - 1]);
        var lambdaT = Lambda(alphaT, sigmaT);
        var lambdaS0 = Lambda(alphaS0, sigmaS0);
        var lambdaS1 = Lambda(alphaS1, sigmaS1);
        var h = lambdaT - lambdaS0;
        var r0 = (lambdaS0 - lambdaS1) / h;
        var sampleScale = (float)(sigmaT / sigmaS0);
        var x0Scale = (float)(alphaT * (Math.Exp(-h) - 1.0));
        var inverseR0 = (float)(1.0 / r0);
        // Per element: ((sampleScale·x − x0Scale·m0) − (½·x0Scale)·(inverseR0·(m0 − m1))), in that order.
        var d1 = SchedulerMath.Buffer(ref _scratch, sample.Length);
        var scaledM0 = SchedulerMath.Buffer(ref _scratch2, sample.Length);
        TensorPrimitives.Subtract(m0, m1, d1);
        TensorPrimitives.Multiply(d1, inverseR0, d1);
        TensorPrimitives.Multiply(d1, 0.5f * x0Scale, d1);
        TensorPrimitives.Multiply(sample, sampleScale, sample);
        TensorPrimitives.Multiply(m0, x0Scale, scaledM0);
        TensorPrimitives.Subtract(sample, scaledM0, sample);
        TensorPrimitives.Subtract(sample, d1, sample);
    }

    /// <summary>diffusers' <c>_sigma_to_alpha_sigma_t</c> in float32.</summary>
    private static (float Alpha, float Sigma) AlphaSigma(float sigma)
    {
        var alpha = 1f / MathF.Sqrt(sigma * sigma + 1f);
        return (alpha, sigma * alpha);
    }

    private static (double Alpha, double Sigma) AlphaSigmaDouble(float sigma)
    {
        var (alpha, sigmaT) = AlphaSigma(sigma);
        return (alpha, sigmaT);
    }

    /// <summary>λ = log α − log σ; +∞ at σ = 0, where e^(−h) = 0 makes the update return x₀ exactly.</summary>
    private static double Lambda(double alpha, double sigma) => Math.Log(alpha) - Math.Log(sigma);

    /// <summary>diffusers' DPM-Solver spacings, which differ from the other schedulers': linspace and leading are taken
    /// over n + 1 points with the last dropped (lambda_min_clipped = −∞ keeps the whole training range).</summary>
    private static double[] SpacedTimesteps(TimestepSpacing spacing, int trainSteps, int steps, int stepsOffset)
    {
        double[] timesteps;
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                // np.linspace(0, T - 1, n + 1).round()[::-1][:-1]
                var points = NumPy.Linspace(0, trainSteps - 1, steps + 1);
                SchedulerMath.RoundInPlace(points);
                timesteps = new double[steps];
                for (var i = 0; i < steps; i++)
                    timesteps[i] = points[steps - i];
                return timesteps;
            case TimestepSpacing.Leading:
                // (np.arange(0, n + 1) * (T // (n + 1))).round()[::-1][:-1] + steps_offset
                var ratio = trainSteps / (steps + 1);
                timesteps = new double[steps];
                for (var i = 0; i < steps; i++)
                    timesteps[i] = (double)(steps - i) * ratio + stepsOffset;
                return timesteps;
            default:
                return SchedulerMath.DescendingTimesteps(spacing, trainSteps, steps, stepsOffset, roundLinspace: true);
        }
    }
}
