using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// One image being denoised: its latents and noise stream for the whole run, and per stage (base, then refiner) its
/// scheduler and conditioning, and the UNet batch rows it occupies (an unconditional row first under classifier-free guidance).
/// </summary>
internal sealed class DenoiseLane(BatchMember member, ulong seed, float[] latents, INoiseSource noise, double guidance)
{
    public BatchMember Member { get; } = member;
    public ulong Seed { get; } = seed;
    public float[] Latents { get; } = latents;
    public INoiseSource Noise { get; } = noise;
    public double Guidance { get; } = guidance;
    /// <summary>The current stage's scheduler.</summary>
    public IScheduler Scheduler { get; set; } = null!;
    /// <summary>The current stage's conditioning.</summary>
    public LaneConditioning Conditioning { get; set; } = null!;
    /// <summary>The lane's first row in the current UNet batch; reassigned when lanes leave the batch.</summary>
    public int FirstRow { get; set; }
    /// <summary>Which of its request's images the lane is (0 for the first): previews follow the first.</summary>
    public int ImageIndex { get; init; }
    /// <summary>The x₀ estimate of the step <see cref="OriginalStep"/>, made only when the member's feed wants a preview.</summary>
    public float[]? Original { get; set; }
    public int OriginalStep { get; set; }

    /// <summary>Set for inpainting (a mask, or any lane of an SD-inpaint UNet).</summary>
    public LaneInpainting? Inpainting { get; init; }
}

/// <summary>What one lane feeds the UNet of one stage; the negative side is null when guidance has no unconditional half.</summary>
internal sealed record LaneConditioning(TextConditioning Positive, TextConditioning? Negative, float[]? TimeIds, float[]? NegativeTimeIds);
