using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Pipelines.Flux;
using Gateway.Diffusion.Pipelines.StableDiffusion;
using Gateway.Diffusion.Pipelines.StableDiffusionXl;

namespace Gateway.Diffusion.Pipelines;

/// <summary>Loads a catalog model with its family's loader, and checks that the text encoders fit the UNet.</summary>
internal static class ModelLoader
{
    /// <exception cref="ModelLoadException">A file is missing or a component is not what the family needs; the message
    /// names the file, the tensor and what was expected.</exception>
    /// <param name="patch">LoRA-merged weights to load the changed components with.</param>
    /// <param name="shared">With <paramref name="patch"/>: the loaded base model, whose sessions serve the unchanged components.</param>
    public static LoadedModel Load(ModelCatalogEntry entry, OnnxSessionFactory sessions, LoraPatch? patch = null, LoadedModel? shared = null)
    {
        using var folder = new ExportFolder(entry, sessions, patch, shared?.Files);
        var model = entry.Family.Pipeline() switch
        {
            PipelineKind.StableDiffusionXl => StableDiffusionXlLoader.LoadBase(folder),
            PipelineKind.StableDiffusionXlRefiner => StableDiffusionXlLoader.LoadRefiner(folder),
            PipelineKind.Flux => FluxLoader.Load(folder),
            _ => StableDiffusionLoader.Load(folder),
        };
        CheckTextFitsUNet(model.Text, model.UNet);
        // A LoRA variant merges into unet/ only; requests with a ControlNet refuse LoRAs, so it needs no ControlNet UNet.
        if (entry.ControlNet is { } control && patch is null)
        {
            var conditioning = new UNetConditioningInputs(model.TimeIds?.Length);
            model.ControlNetUNet = folder.Open(control.UNetFolder,
                file => new Denoiser(file, conditioning, null, $"{entry.Family.ToName()} ControlNet UNet", controlNetResiduals: true),
                SessionRole.Denoiser);
            CheckTextFitsUNet(model.Text, model.ControlNetUNet);
        }
        if (model.UNet.TakesInpaintInputs && model.VaeEncoder is null)
            throw new ModelLoadException($"{folder.Name}: an inpainting UNet takes the masked image's latents, but the folder has no vae_encoder/.");
        model.Files = folder.Files;
        return folder.Keep(model);
    }

    private static void CheckTextFitsUNet(TextConditioner text, Denoiser unet)
    {
        if (text.HiddenSize is { } hidden && unet.HiddenSize is { } wanted && hidden != wanted)
            throw new ModelLoadException(
                $"{unet.DisplayName}: input '{UNetInputs.EncoderHiddenStates}' wants hidden size {wanted}, but the text encoders give {hidden} " +
                $"({string.Join(" + ", text.Stages.Select(s => $"{s.Encoder.DisplayName}: {s.Encoder.HiddenSize}"))}).");
        if (unet.PooledInput is { } pooledInput && !text.Pools)
            throw new ModelLoadException($"{unet.DisplayName}: input '{pooledInput}' needs a pooled text embedding, which no text encoder gives.");
        if (text.PooledSize is { } pooled && unet.PooledSize is { } wantedPooled && pooled != wantedPooled)
            throw new ModelLoadException(
                $"{unet.DisplayName}: input '{unet.PooledInput}' wants {wantedPooled} values, but the pooling text encoder gives {pooled}.");
    }
}
