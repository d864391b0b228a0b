using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Pipelines.StableDiffusionXl;

/// <summary>
/// SDXL exports (base, Turbo, SSD-1B) and the SDXL refiner, as diffusers' <c>StableDiffusionXLPipeline.encode_prompt</c>
/// conditions them: each encoder's penultimate hidden state (with clip-skip k, k layers further back), concatenated on
/// the hidden axis (CLIP-L 768 + bigG 1280 = 2048 for the base; bigG alone for the refiner), the pooled embedding from
/// text_encoder_2's <c>text_embeds</c>, and <c>time_ids</c>.
/// </summary>
internal static class StableDiffusionXlLoader
{
    private const string PooledOutput = "text_embeds";

    public static LoadedModel LoadBase(ExportFolder folder)
    {
        var tokenizer = folder.Tokenizer("tokenizer");
        var tokenizer2 = folder.Tokenizer("tokenizer_2");
        var schedulerConfig = folder.SchedulerConfig();
        var skip = folder.Entry.ClipSkip;
        var encoder = folder.Open("text_encoder", file => Penultimate(file, skip, pooled: false));
        var encoder2 = folder.Open("text_encoder_2", file => Penultimate(file, skip, pooled: true));
        var text = new TextConditioner(
            [new TextEncoderStage(tokenizer, encoder, PromptSlot.First), new TextEncoderStage(tokenizer2, encoder2, PromptSlot.Second)],
            folder.IndexFlag("force_zeros_for_empty_prompt", fallback: true), folder.Name);
        var guidanceEmbeddingSize = (int?)ComponentConfig.ReadNumber(folder.Directory, "unet", "time_cond_proj_dim");
        var timeIds = SizeTimeIds.Instance;
        var unet = folder.Open("unet", file => new Denoiser(file, new UNetConditioningInputs(timeIds.Length, folder.Entry.Family.IsInpainting()),
            guidanceEmbeddingSize, "SDXL"), SessionRole.Denoiser);
        var (decoder, vaeEncoder, scaling) = folder.Vae();
        return new LoadedModel(folder.Entry, schedulerConfig, text, unet, decoder, vaeEncoder, scaling, timeIds);
    }

    public static LoadedModel LoadRefiner(ExportFolder folder)
    {
        var tokenizer2 = folder.Tokenizer("tokenizer_2");
        var schedulerConfig = folder.SchedulerConfig();
        var encoder2 = folder.Open("text_encoder_2", file => Penultimate(file, folder.Entry.ClipSkip, pooled: true));
        // The refiner reads the request's second prompts, which default to the first ones.
        var text = new TextConditioner([new TextEncoderStage(tokenizer2, encoder2, PromptSlot.Second)],
            folder.IndexFlag("force_zeros_for_empty_prompt", fallback: false), folder.Name);
        var timeIds = new AestheticTimeIds(folder.Entry.AestheticScore, folder.Entry.NegativeAestheticScore);
        var unet = folder.Open("unet", file => new Denoiser(file, new UNetConditioningInputs(timeIds.Length), null, "SDXL refiner"),
            SessionRole.Denoiser);
        var (decoder, vaeEncoder, scaling) = folder.Vae();
        return new LoadedModel(folder.Entry, schedulerConfig, text, unet, decoder, vaeEncoder, scaling, timeIds);
    }

    private static ClipTextEncoder Penultimate(OnnxModelFile file, int clipSkip, bool pooled) =>
        new(file, ClipTextEncoder.HiddenStateOutput(file, 1 + clipSkip), pooled ? PooledOutput : null);
}
