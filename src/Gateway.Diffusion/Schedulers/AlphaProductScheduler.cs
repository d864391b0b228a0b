using System.Collections.ObjectModel;
using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// Base of the schedulers that work on ᾱ directly (DDIM, PNDM, LCM): integer timesteps, latents fed to the UNet
/// unscaled, unit initial noise, and diffusers' DDPM <c>add_noise</c> for image-to-image.
/// </summary>
public abstract class AlphaProductScheduler : IScheduler
{
    private readonly ReadOnlyCollection<float> _timestepView;

    /// <param name="timesteps">The schedule, built by the subclass after <see cref="SchedulerMath.CheckSteps"/>.</param>
    /// <param name="config">The scheduler config.</param>
    /// <param name="inferenceSteps">The number of inference steps asked for.</param>
    /// <param name="acceptsZeroSnrRescale">Whether the diffusers class has <c>rescale_betas_zero_snr</c> (from_config drops it otherwise).</param>
    /// <param name="setAlphaToOneByDefault">The class's default for <c>set_alpha_to_one</c>.</param>
    /// <param name="betaDefaults">The class's defaults for the beta keys.</param>
    private protected AlphaProductScheduler(float[] timesteps, SchedulerConfig config, int inferenceSteps, bool acceptsZeroSnrRescale,
        bool setAlphaToOneByDefault, BetaDefaults betaDefaults)
    {
        Config = config;
        InferenceSteps = inferenceSteps;
        AlphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(config, acceptsZeroSnrRescale && config.RescaleBetasZeroSnr, betaDefaults));
        // diffusers' final_alpha_cumprod: the ᾱ "before" timestep 0, used when a step would go below it.
        FinalAlphaCumprod = config.SetAlphaToOne ?? setAlphaToOneByDefault ? 1f : AlphasCumprod[0];
        TimestepValues = timesteps;
        _timestepView = Array.AsReadOnly(timesteps);
    }

    private protected SchedulerConfig Config { get; }

    private protected int InferenceSteps { get; }

    private protected float[] TimestepValues { get; }

    internal float[] AlphasCumprod { get; }

    internal float FinalAlphaCumprod { get; }

    /// <inheritdoc />
    public IReadOnlyList<float> Timesteps => _timestepView;

    /// <inheritdoc />
    public float InitNoiseSigma => 1f;

    /// <inheritdoc />
    public void ScaleModelInput(ReadOnlySpan<float> sample, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        sample.CopyTo(destination);
    }

    /// <inheritdoc />
    public abstract void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise);

    /// <inheritdoc />
    public void EstimateOriginal(ReadOnlySpan<float> modelOutput, int index, ReadOnlySpan<float> sample, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
        SchedulerMath.CheckLengths(sample.Length, destination.Length, nameof(destination));
        var alphaProd = AlphasCumprod[TimestepAt(index)];
        SchedulerMath.OriginalFromVp(Config.PredictionType, MathF.Sqrt(alphaProd), MathF.Sqrt(1f - alphaProd), modelOutput, sample, destination);
    }

    /// <inheritdoc />
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int index, Span<float> destination)
    {
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(original.Length, noise.Length, nameof(noise));
        SchedulerMath.CheckLengths(original.Length, destination.Length, nameof(destination));
        var alphaProd = AlphasCumprod[TimestepAt(index)];
        var signal = MathF.Sqrt(alphaProd);
        var noiseScale = MathF.Sqrt(1f - alphaProd);
        for (var i = 0; i < original.Length; i++)
            destination[i] = signal * original[i] + noiseScale * noise[i];
    }

    /// <inheritdoc />
    public int StartIndexForStrength(double strength) =>
        SchedulerMath.StartIndexForStrength(strength, InferenceSteps, TimestepValues.Length);

    private protected int TimestepAt(int index) => (int)TimestepValues[index];

    /// <summary>ᾱ at <paramref name="timestep"/>, or the final ᾱ below timestep 0 (diffusers' <c>alpha_prod_t_prev</c>).</summary>
    private protected float AlphaProductAt(int timestep) => timestep >= 0 ? AlphasCumprod[timestep] : FinalAlphaCumprod;

    /// <summary>Validates a step's arguments.</summary>
    private protected void CheckStep(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        SchedulerMath.CheckIndex(index, TimestepValues.Length);
        SchedulerMath.CheckLengths(sample.Length, modelOutput.Length, nameof(modelOutput));
    }
}
