namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// How a denoiser takes the latents: a UNet the VAE's [channels, height/8, width/8] itself, Flux's transformer a
/// sequence of 2×2 patches. Noise is drawn, and the VAE reads and writes, in the VAE's layout; lanes hold the
/// denoiser's, so the loop and the schedulers (element-wise) never convert.
/// </summary>
internal abstract class LatentLayout
{
    /// <summary>The UNet's layout: the VAE's.</summary>
    public static LatentLayout Spatial { get; } = new SpatialLatentLayout();

    /// <summary>The image-sequence length a flow-matching schedule shifts by, or null when the layout has none.</summary>
    public abstract int? ImageSequenceLength(int latentHeight, int latentWidth);

    /// <summary>VAE-layout latents [channels, h, w] of one image in the denoiser's layout; may return <paramref name="latents"/>.</summary>
    public abstract float[] FromVae(float[] latents, int channels, int latentHeight, int latentWidth);

    /// <summary>The inverse of <see cref="FromVae"/>.</summary>
    public abstract float[] ToVae(float[] latents, int channels, int latentHeight, int latentWidth);

    private sealed class SpatialLatentLayout : LatentLayout
    {
        public override int? ImageSequenceLength(int latentHeight, int latentWidth) => null;

        public override float[] FromVae(float[] latents, int channels, int latentHeight, int latentWidth) => latents;

        public override float[] ToVae(float[] latents, int channels, int latentHeight, int latentWidth) => latents;
    }
}
