using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// One image being denoised: its latents, scheduler state and noise stream, and the UNet batch rows it owns
/// (an unconditional row first when classifier-free guidance is on).
/// </summary>
internal sealed class DenoiseLane(ulong seed, float[] latents, IScheduler scheduler, INoiseSource noise, double guidance, int firstRow)
{
    public ulong Seed { get; } = seed;
    public float[] Latents { get; } = latents;
    public IScheduler Scheduler { get; } = scheduler;
    public INoiseSource Noise { get; } = noise;
    public double Guidance { get; } = guidance;
    public int FirstRow { get; } = firstRow;
}
