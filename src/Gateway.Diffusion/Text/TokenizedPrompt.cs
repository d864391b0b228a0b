namespace Gateway.Diffusion.Text;

/// <summary>A prompt ready for the text encoder.</summary>
/// <param name="Ids">Exactly <see cref="ClipTokenizer.ModelMaxLength"/> ids: BOS, the kept tokens, EOS, then padding.</param>
/// <param name="Truncated">Whether tokens beyond <c>ModelMaxLength − 2</c> were dropped.</param>
/// <param name="TokenCount">
/// How many tokens the prompt has before truncation, BOS and EOS excluded; counting stops one past
/// <see cref="ClipTokenizer.MaxCountedTokens"/> (see <see cref="TokenCountIsLowerBound"/>).
/// </param>
public sealed record TokenizedPrompt(int[] Ids, bool Truncated, int TokenCount)
{
    /// <summary>
    /// Whether counting stopped early, or the prompt was longer than <see cref="ClipTokenizer.MaxReadLength"/>: it
    /// has at least <see cref="TokenCount"/> tokens.
    /// </summary>
    public bool TokenCountIsLowerBound { get; init; }
}
