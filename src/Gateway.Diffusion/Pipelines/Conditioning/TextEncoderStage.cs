using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>One tokenizer + text encoder of a model, the prompt it reads, and a cache of its recent outputs.</summary>
/// <param name="givesHidden">Whether its per-token hidden states condition the denoiser; false for an encoder read only
/// for its pooled embedding (Flux's CLIP-L).</param>
internal sealed class TextEncoderStage(ITextTokenizer tokenizer, ClipTextEncoder encoder, PromptSlot prompt, bool givesHidden = true) : IDisposable
{
    public ITextTokenizer Tokenizer { get; } = tokenizer;
    public ClipTextEncoder Encoder { get; } = encoder;
    public PromptSlot Prompt { get; } = prompt;
    public bool GivesHidden { get; } = givesHidden;
    public TextEmbeddingCache Cache { get; } = new(capacity: 256);

    public void Dispose() => Encoder.Dispose();
}
