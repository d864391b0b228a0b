using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Pipelines.Flux;

/// <summary>
/// FLUX.1-schnell and -dev exports, conditioned as diffusers' <c>FluxPipeline.encode_prompt</c> does: CLIP-L's
/// <c>pooler_output</c> (77 tokens) as <c>pooled_projections</c>, T5's <c>last_hidden_state</c> (256 tokens for
/// schnell, 512 for dev; the request's second prompt when given, as <c>prompt_2</c>) as <c>encoder_hidden_states</c>;
/// the transformer on packed latents, and the VAE with its shift.
/// </summary>
internal static class FluxLoader
{
    /// <summary>FluxPipeline's <c>max_sequence_length</c> as the FLUX.1 model cards run them.</summary>
    public const int SchnellSequenceLength = 256;
    public const int DevSequenceLength = 512;

    public static LoadedModel Load(ExportFolder folder)
    {
        var dev = folder.Entry.Family == ModelFamily.FluxDev;
        var tokenizer = folder.Tokenizer("tokenizer");
        var t5Tokenizer = folder.T5Tokenizer("tokenizer_2", dev ? DevSequenceLength : SchnellSequenceLength);
        var schedulerConfig = folder.SchedulerConfig();
        var clip = folder.Open("text_encoder", file => new ClipTextEncoder(file, "last_hidden_state", "pooler_output"));
        var t5 = folder.Open("text_encoder_2", file => new ClipTextEncoder(file, "last_hidden_state", null));
        var text = new TextConditioner(
            [new TextEncoderStage(tokenizer, clip, PromptSlot.First, givesHidden: false), new TextEncoderStage(t5Tokenizer, t5, PromptSlot.Second)],
            forceZerosForEmptyNegative: false, folder.Name);
        var transformer = folder.Open("transformer", file => Denoiser.FluxTransformer(file, guidance: dev, dev ? "FLUX.1-dev" : "FLUX.1-schnell"),
            SessionRole.Denoiser);
        var (decoder, encoder, scaling) = folder.Vae();
        return new LoadedModel(folder.Entry, schedulerConfig, text, transformer, decoder, encoder, scaling, timeIds: null,
            vaeShiftFactor: folder.VaeShiftFactor());
    }
}
