using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Vae;

/// <summary>Turns one stage's x₀ estimates (in the denoiser's latent layout) into preview images: the family's
/// latent→RGB matrix at latent resolution, or the stage model's own VAE at render size.</summary>
internal sealed class StagePreviewer(LoadedModel model, BatchKey key, RunOptions runOptions, OnnxClock onnx)
{
    private readonly LatentRgbFactors _factors = LatentRgbFactors.For(model.Entry.Family);

    public StepPreview For(float[] original) => new(() => Rgb(original), () => Decode(original));

    private PixelImage? Rgb(float[] original)
    {
        var (channels, height, width) = (model.UNet.LatentChannels, key.Height / 8, key.Width / 8);
        if (channels != _factors.Channels) return null;
        return _factors.ToImage(model.UNet.Layout.ToVae(original, channels, height, width), height, width);
    }

    private PixelImage? Decode(float[] original)
    {
        try
        {
            // The decode scales its input in place; the lane's buffer stays as it was.
            return GenerationRun.Decode(model, (float[])original.Clone(), key, runOptions, onnx);
        }
        catch (ModelOutputException)
        {
            // An early x₀ estimate can overflow an fp16 VAE; the step goes out without that partial image.
            return null;
        }
    }
}
