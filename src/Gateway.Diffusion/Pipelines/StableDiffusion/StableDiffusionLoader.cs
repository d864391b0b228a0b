using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Pipelines.StableDiffusion;

/// <summary>SD 1.x / 2.x (and LCM) exports: one CLIP encoder whose last hidden state conditions the UNet.</summary>
internal static class StableDiffusionLoader
{
    public const string Description = "Stable Diffusion 1.x/2.x";

    public static LoadedModel Load(ExportFolder folder)
    {
        var tokenizer = folder.Tokenizer("tokenizer");
        // diffusers' Stable Diffusion pipelines override these two legacy settings of older configs
        // (e.g. the SD 1.5 ONNX branch), and real checkpoints are tuned for the overridden values.
        var schedulerConfig = folder.SchedulerConfig() with { StepsOffset = 1, ClipSample = false };
        var guidanceEmbeddingSize = (int?)ComponentConfig.ReadNumber(folder.Directory, "unet", "time_cond_proj_dim");

        var encoder = folder.Open("text_encoder", file => new ClipTextEncoder(file, "last_hidden_state", pooledOutput: null));
        var text = new TextConditioner([new TextEncoderStage(tokenizer, encoder, PromptSlot.First)],
            forceZerosForEmptyNegative: false, folder.Name);
        var unet = folder.Open("unet", file => new Denoiser(file, UNetConditioningInputs.StableDiffusion with { Inpainting = folder.Entry.Family.IsInpainting() },
            guidanceEmbeddingSize, Description), SessionRole.Denoiser);
        var (decoder, vaeEncoder, scaling) = folder.Vae();
        return new LoadedModel(folder.Entry, schedulerConfig, text, unet, decoder, vaeEncoder, scaling, timeIds: null);
    }
}
