using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Engine.Progress;

/// <summary>The x₀ estimate of one image at one step, rendered on demand: through the latent→RGB matrix (cheap), or
/// through the VAE (a real decode). Valid only during the step's callback: the buffer is reused.</summary>
internal sealed class StepPreview(Func<PixelImage?> rgb, Func<PixelImage?> decode)
{
    /// <summary>Latent-resolution RGB; null when the model's latents have no known matrix.</summary>
    public PixelImage? Rgb() => rgb();

    /// <summary>A render-size image through the model's VAE decoder; null when the decoder's output was not finite.</summary>
    public PixelImage? Decode() => decode();
}
