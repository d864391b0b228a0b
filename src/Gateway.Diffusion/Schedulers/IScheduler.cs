using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// One denoising schedule for one request, configured for a fixed number of inference steps.
/// Instances carry per-run state (multistep history, step counters) and are not shared between requests.
/// Index <c>i</c> below is the position in <see cref="Timesteps"/>: one UNet evaluation each.
/// </summary>
public interface IScheduler
{
    /// <summary>The timestep fed to the UNet for each evaluation (fractional for Karras sigmas).</summary>
    IReadOnlyList<float> Timesteps { get; }

    /// <summary>Standard deviation of the initial noise: latents are <c>noise × InitNoiseSigma</c>.</summary>
    float InitNoiseSigma { get; }

    /// <summary>Scales the latents before the UNet call at evaluation <paramref name="index"/>; source and destination may be the same span.</summary>
    void ScaleModelInput(ReadOnlySpan<float> sample, int index, Span<float> destination);

    /// <summary>Advances <paramref name="sample"/> in place from the model output at evaluation <paramref name="index"/>.
    /// Ancestral and stochastic schedulers draw their noise from <paramref name="noise"/>.</summary>
    void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise);

    /// <summary>The model's estimate of the clean latents x₀ at evaluation <paramref name="index"/> from its (guided)
    /// output and the sample before <see cref="Step"/>, as diffusers' <c>pred_original_sample</c>; for previews, so it
    /// neither clips nor touches the scheduler's state.</summary>
    void EstimateOriginal(ReadOnlySpan<float> modelOutput, int index, ReadOnlySpan<float> sample, Span<float> destination);

    /// <summary>Noises clean latents to the level of evaluation <paramref name="index"/> (image-to-image start).</summary>
    void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int index, Span<float> destination);

    /// <summary>The first evaluation index for image-to-image at <paramref name="strength"/> in [0, 1], as diffusers computes it;
    /// equals <c>Timesteps.Count</c> when strength leaves no step to run.</summary>
    int StartIndexForStrength(double strength);
}
