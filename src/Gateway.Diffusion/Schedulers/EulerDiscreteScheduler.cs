using System.Numerics.Tensors;
using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>EulerDiscreteScheduler</c> ("Euler"): Algorithm 2 of Karras et al. (2022) without churn,
/// x ← x + (x − x₀)/σ · (σ_next − σ). Deterministic: it never draws noise (diffusers only does for s_churn &gt; 0).
/// </summary>
public sealed class EulerDiscreteScheduler : SigmaScheduler
{
    private float[]? _derivative;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps; <c>use_karras_sigmas</c> comes from the config
    /// unless <paramref name="useKarrasSigmas"/> overrides it.</summary>
    /// <exception cref="NotSupportedException">The config asks for <c>interpolation_type: log_linear</c>.</exception>
    public EulerDiscreteScheduler(SchedulerConfig config, int inferenceSteps, bool? useKarrasSigmas = null)
        : base(CheckInterpolation(config), inferenceSteps, acceptsZeroSnrRescale: true, useKarrasSigmas)
    {
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        CheckStep(modelOutput, index, sample, noise);
        // gamma = 0 (no s_churn), so sigma_hat = sigma.
        var coefficients = new SigmaCoefficients(Sigmas[index]);
        var sigma = coefficients.Sigma;
        var dt = Sigmas[index + 1] - sigma;
        // x + ((x − x₀)/σ)·dt, a vector at a time.
        var derivative = SchedulerMath.Buffer(ref _derivative, sample.Length);
        Derivative(sample, modelOutput, coefficients, derivative);
        TensorPrimitives.Multiply(derivative, dt, derivative);
        TensorPrimitives.Add(sample, derivative, sample);
    }

    private static SchedulerConfig CheckInterpolation(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.InterpolationType != InterpolationType.Linear)
            throw new NotSupportedException("EulerDiscreteScheduler supports interpolation_type 'linear' only.");
        return config;
    }
}
