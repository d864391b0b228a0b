namespace Gateway.Diffusion.Text;

/// <summary>A text encoder's tokenizer: a prompt to exactly <see cref="ModelMaxLength"/> ids (CLIP's BPE, T5's SentencePiece).</summary>
public interface ITextTokenizer
{
    /// <summary>Ids per prompt, padding included.</summary>
    int ModelMaxLength { get; }

    /// <summary>How many of a prompt's tokens fit, the special tokens around them excluded.</summary>
    int MaxPromptTokens { get; }

    /// <summary>The prompt's ids, truncated and padded to <see cref="ModelMaxLength"/>.</summary>
    TokenizedPrompt Encode(string text);
}
