using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// One image being denoised: its latents, scheduler state, noise stream and text embeddings, and the UNet batch
/// rows it occupies (an unconditional row first when classifier-free guidance is on).
/// </summary>
internal sealed class DenoiseLane(BatchMember member, ulong seed, float[] latents, IScheduler scheduler, INoiseSource noise,
    double guidance, float[] conditional, float[]? unconditional)
{
    public BatchMember Member { get; } = member;
    public ulong Seed { get; } = seed;
    public float[] Latents { get; } = latents;
    public IScheduler Scheduler { get; } = scheduler;
    public INoiseSource Noise { get; } = noise;
    public double Guidance { get; } = guidance;
    public float[] Conditional { get; } = conditional;
    /// <summary>Null when guidance is off for this run.</summary>
    public float[]? Unconditional { get; } = unconditional;
    /// <summary>The lane's first row in the current UNet batch; reassigned when lanes leave the batch.</summary>
    public int FirstRow { get; set; }
}
