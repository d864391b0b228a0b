using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>One tokenizer + text encoder of a model, the prompt it reads, and a cache of its recent outputs.</summary>
internal sealed class TextEncoderStage(ClipTokenizer tokenizer, ClipTextEncoder encoder, PromptSlot prompt) : IDisposable
{
    public ClipTokenizer Tokenizer { get; } = tokenizer;
    public ClipTextEncoder Encoder { get; } = encoder;
    public PromptSlot Prompt { get; } = prompt;
    public TextEmbeddingCache Cache { get; } = new(capacity: 256);

    public void Dispose() => Encoder.Dispose();
}
