using System.Collections.ObjectModel;
using System.Numerics.Tensors;
using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>FlowMatchEulerDiscreteScheduler</c> ("Flow Euler", Flux) with the schedule FluxPipeline sets:
/// sigmas linspace(1, 1/N, N), shifted statically (<c>shift</c>) or by μ from the packed image sequence length
/// (<c>use_dynamic_shifting</c>), then a final σ = 0. The model predicts the velocity v and a step is
/// x ← x + (σ_next − σ)·v. Latents are fed to the model unscaled and start as unit noise. The model's timestep input
/// is <c>Timesteps[i] / 1000</c> (float32), which is what FluxPipeline passes.
/// </summary>
public sealed class FlowMatchEulerDiscreteScheduler : IScheduler
{
    private readonly int _inferenceSteps;
    private readonly float[] _timesteps;
    private readonly float[] _sigmas;
    private readonly bool _stochastic;
    private float[]? _scratch;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps.</summary>
    /// <param name="config">The scheduler config.</param>
    /// <param name="inferenceSteps">The number of model evaluations.</param>
    /// <param name="imageSequenceLength">The packed latent sequence length, (H/16)·(W/16) for Flux; needed for dynamic shifting only.</param>
    /// <exception cref="ArgumentException">The config shifts dynamically and no sequence length was given.</exception>
    /// <exception cref="NotSupportedException">The config asks for <c>use_beta_sigmas</c>, or for more than one of the
    /// Karras / exponential / beta sigma conversions (which diffusers rejects).</exception>
    public FlowMatchEulerDiscreteScheduler(SchedulerConfig config, int inferenceSteps, int? imageSequenceLength = null)
    {
        SchedulerMath.CheckSteps(config, inferenceSteps);
        if (imageSequenceLength is < 1)
            throw new ArgumentOutOfRangeException(nameof(imageSequenceLength), imageSequenceLength, "The image sequence length must be positive.");
        if (config.UseBetaSigmas)
            throw new NotSupportedException("FlowMatchEulerDiscreteScheduler does not support use_beta_sigmas.");
        if (config.UseKarrasSigmas && config.UseExponentialSigmas)
            throw new NotSupportedException("Only one of use_karras_sigmas and use_exponential_sigmas can be set.");
        double mu = 0;
        if (config.UseDynamicShifting)
        {
            if (imageSequenceLength is not { } length)
                throw new ArgumentException(
                    "This scheduler config uses dynamic shifting (use_dynamic_shifting), which needs the image sequence length.",
                    nameof(imageSequenceLength));
            mu = FlowMatchSchedule.CalculateShift(config, length);
        }

        _inferenceSteps = inferenceSteps;
        _stochastic = config.StochasticSampling;
        var sigmas = FlowMatchSchedule.Sigmas(config, inferenceSteps, mu);
        _sigmas = new float[inferenceSteps + 1];
        _timesteps = new float[inferenceSteps];
        for (var i = 0; i < inferenceSteps; i++)
        {
            _sigmas[i] = config.InvertSigmas ? 1f - sigmas[i] : sigmas[i];
            _timesteps[i] = _sigmas[i] * config.NumTrainTimesteps;
        }
        _sigmas[^1] = config.InvertSigmas ? 1f : 0f;
        Timesteps = Array.AsReadOnly(_timesteps);
        Sigmas = Array.AsReadOnly(_sigmas);
    }

    /// <inheritdoc />
    public IReadOnlyList<float> Timesteps { get; }

    /// <summary>σ for each evaluation, followed by the final σ (0, or 1 with <c>invert_sigmas</c>).</summary>
    public ReadOnlyCollection<float> Sigmas { get; }

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
    /// <remarks>With <c>stochastic_sampling</c> the step is (1 − σ_next)·(x − σ·v) + σ_next·noise, one draw per step.</remarks>
    public void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
        var sigma = _sigmas[index];
        var next = _sigmas[index + 1];
        var scratch = SchedulerMath.Buffer(ref _scratch, sample.Length);
        if (_stochastic)
        {
            // x₀ = x − σ·v, then (1 − σ_next)·x₀ + σ_next·noise.
            TensorPrimitives.Multiply(modelOutput, sigma, scratch);
            TensorPrimitives.Subtract(sample, scratch, sample);
            TensorPrimitives.Multiply(sample, 1f - next, sample);
            noise.NextGaussian(scratch);
            TensorPrimitives.Multiply(scratch, next, scratch);
            TensorPrimitives.Add(sample, scratch, sample);
            return;
        }
        // torch: sample + dt·v, the product rounded before the sum.
        TensorPrimitives.Multiply(modelOutput, next - sigma, scratch);
        TensorPrimitives.Add(sample, scratch, sample);
    }

    /// <inheritdoc />
    /// <remarks>x₀ = x − σ·v.</remarks>
    public void EstimateOriginal(ReadOnlySpan<float> modelOutput, int index, ReadOnlySpan<float> sample, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        TensorPrimitives.Multiply(modelOutput, _sigmas[index], destination);
        TensorPrimitives.Subtract(sample, destination, destination);
    }

    /// <inheritdoc />
    /// <remarks>diffusers' <c>scale_noise</c>: σ·noise + (1 − σ)·x₀ at the σ of evaluation <paramref name="index"/>.</remarks>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, _timesteps.Length);
        SchedulerMath.CheckLengths(original.Length, noise.Length, nameof(noise));
        SchedulerMath.CheckLengths(original.Length, destination.Length, nameof(destination));
        var sigma = _sigmas[index];
        var keep = 1f - sigma;
        for (var i = 0; i < original.Length; i++)
            destination[i] = sigma * noise[i] + keep * original[i];
    }

    /// <inheritdoc />
    /// <remarks>FluxImg2ImgPipeline's <c>get_timesteps</c>, which unlike Stable Diffusion's does not truncate
    /// steps·strength: t_start = int(max(steps − min(steps·strength, steps), 0)).</remarks>
    public int StartIndexForStrength(double strength)
    {
        if (!(strength >= 0 && strength <= 1))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "Strength must be in [0, 1].");
        var initTimestep = Math.Min(_inferenceSteps * strength, _inferenceSteps);
        return (int)Math.Max(_inferenceSteps - initTimestep, 0);
    }
}
