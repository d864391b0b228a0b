using System.Numerics.Tensors;
using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>EulerAncestralDiscreteScheduler</c> ("Euler a"): an Euler step down to σ_down, then fresh noise of
/// standard deviation σ_up, with σ_up = √(σ_next²·(σ² − σ_next²)/σ²) and σ_down = √(σ_next² − σ_up²).
/// Like diffusers it draws one noise tensor on every step, the last included (where σ_up = 0).
/// </summary>
public sealed class EulerAncestralScheduler : SigmaScheduler
{
    private float[]? _noise;
    private float[]? _derivative;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps (diffusers' Euler a has no Karras option).</summary>
    /// <exception cref="NotSupportedException">The config's prediction_type is <c>sample</c>, which diffusers does not implement here.</exception>
    public EulerAncestralScheduler(SchedulerConfig config, int inferenceSteps)
        : base(CheckPrediction(config), inferenceSteps, acceptsZeroSnrRescale: true, useKarrasSigmas: false)
    {
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        CheckStep(modelOutput, index, sample, noise);
        var (sigmaUp, sigmaDown) = AncestralSigmas(Sigmas[index], Sigmas[index + 1]);
        var coefficients = new SigmaCoefficients(Sigmas[index]);
        var sigma = coefficients.Sigma;
        var dt = sigmaDown - sigma;
        var fresh = SchedulerMath.Buffer(ref _noise, sample.Length);
        noise.NextGaussian(fresh);
        // (x + ((x − x₀)/σ)·dt) + noise·σ_up, a vector at a time.
        var derivative = SchedulerMath.Buffer(ref _derivative, sample.Length);
        Derivative(sample, modelOutput, coefficients, derivative);
        TensorPrimitives.Multiply(derivative, dt, derivative);
        TensorPrimitives.Add(sample, derivative, sample);
        TensorPrimitives.Multiply(fresh, sigmaUp, fresh);
        TensorPrimitives.Add(sample, fresh, sample);
    }

    /// <summary>The noise added (σ_up) and the deterministic target (σ_down) of a step from σ to σ_next, in float32 as diffusers.</summary>
    internal static (float Up, float Down) AncestralSigmas(float sigmaFrom, float sigmaTo)
    {
        var up = MathF.Sqrt(sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo) / (sigmaFrom * sigmaFrom));
        var down = MathF.Sqrt(sigmaTo * sigmaTo - up * up);
        return (up, down);
    }

    private static SchedulerConfig CheckPrediction(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.PredictionType == PredictionType.Sample)
            throw new NotSupportedException("EulerAncestralScheduler supports prediction_type 'epsilon' and 'v_prediction' only, as diffusers.");
        return config;
    }
}
