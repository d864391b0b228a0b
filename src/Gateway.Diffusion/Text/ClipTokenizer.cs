using Microsoft.ML.Tokenizers;

namespace Gateway.Diffusion.Text;

/// <summary>
/// The CLIP BPE tokenizer of Stable Diffusion's text encoders, giving the ids of Hugging Face's CLIPTokenizer.
/// Immutable and safe for concurrent use.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> does the byte-level mapping, the <c>&lt;/w&gt;</c> end-of-word
/// suffix, the merges and a bounded word cache; CLIP's normalisation and pre-tokenisation are ours
/// (<see cref="ClipNormalizer"/>, <see cref="ClipPreTokenizer"/>). Like Hugging Face, every special token that
/// special_tokens_map.json names is matched literally in the prompt; with SDXL's tokenizer_2 that turns each "!"
/// into the pad id 0, as diffusers does (OpenCLIP itself would not).
/// </remarks>
public sealed class ClipTokenizer : ITextTokenizer
{
    /// <summary>
    /// How many tokens <see cref="Encode"/> counts at most. Only the first <see cref="ModelMaxLength"/> − 2 are ever
    /// used, and stopping here bounds the work whatever the prompt's length.
    /// </summary>
    public const int MaxCountedTokens = 1024;

    /// <summary>
    /// How much of a prompt <see cref="Encode"/> reads, in UTF-16 code units: the clean-up before BPE is linear but
    /// not cheap, and a prompt this long has far more than <see cref="MaxCountedTokens"/> tokens.
    /// </summary>
    public const int MaxReadLength = 65_536;

    private const string EndOfWordSuffix = "</w>";

    private readonly BpeTokenizer _bpe;

    private ClipTokenizer(BpeTokenizer bpe, int bosId, int eosId, int padId, int modelMaxLength)
    {
        _bpe = bpe;
        BosId = bosId;
        EosId = eosId;
        PadId = padId;
        ModelMaxLength = modelMaxLength;
    }

    /// <summary>Id of the start-of-text token that opens every sequence.</summary>
    public int BosId { get; }

    /// <summary>Id of the end-of-text token that closes every sequence.</summary>
    public int EosId { get; }

    /// <summary>Id that fills the sequence after EOS (from special_tokens_map.json's pad_token).</summary>
    public int PadId { get; }

    /// <summary>Length of every encoded sequence, BOS and EOS included.</summary>
    public int ModelMaxLength { get; }

    /// <summary>Tokens that fit between BOS and EOS.</summary>
    public int MaxPromptTokens => ModelMaxLength - 2;

    /// <summary>
    /// Loads a diffusers <c>tokenizer/</c> folder: vocab.json, merges.txt, special_tokens_map.json and, optionally,
    /// tokenizer_config.json.
    /// </summary>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">A file's content is unusable.</exception>
    public static ClipTokenizer Load(string tokenizerDirectory)
    {
        ArgumentNullException.ThrowIfNull(tokenizerDirectory);
        ClipTokenizerFiles files = ClipTokenizerFiles.Read(tokenizerDirectory);

        string[] specialTokens = [files.BosToken, files.EosToken, files.PadToken, files.UnknownToken];
        var specialTokenIds = specialTokens.Distinct(StringComparer.Ordinal).ToDictionary(t => t, files.IdOf);

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(files.Vocabulary)
            {
                Merges = files.Merges,
                ByteLevel = true,
                EndOfWordSuffix = EndOfWordSuffix,
                Normalizer = ClipNormalizer.Instance,
                PreTokenizer = new ClipPreTokenizer(specialTokenIds.Keys),
                SpecialTokens = specialTokenIds,
            });
        }
        catch (InvalidOperationException e)
        {
            // The library reports a malformed merge line or a merge of unknown tokens this way.
            throw new InvalidDataException($"'{tokenizerDirectory}': vocab.json and merges.txt do not fit together: {e.Message}", e);
        }

        return new ClipTokenizer(
            bpe,
            specialTokenIds[files.BosToken],
            specialTokenIds[files.EosToken],
            specialTokenIds[files.PadToken],
            files.ModelMaxLength);
    }

    /// <summary>The prompt's token ids alone: no BOS, EOS or padding, and no truncation (the work grows with the text).</summary>
    public IReadOnlyList<int> EncodeTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _bpe.EncodeToIds(text);
    }

    /// <summary>
    /// The text encoder's input: BOS, at most <see cref="ModelMaxLength"/> − 2 tokens, EOS, then padding up to
    /// <see cref="ModelMaxLength"/>. Longer prompts are truncated, as diffusers does; tokens are counted up to
    /// <see cref="MaxCountedTokens"/>, in the first <see cref="MaxReadLength"/> characters.
    /// </summary>
    public TokenizedPrompt Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool cut = text.Length > MaxReadLength;
        if (cut)
        {
            int length = char.IsHighSurrogate(text[MaxReadLength - 1]) ? MaxReadLength - 1 : MaxReadLength;
            text = text[..length];
        }

        int limit = Math.Max(MaxCountedTokens, ModelMaxLength) + 1;
        IReadOnlyList<int> tokens = _bpe.EncodeToIds(text, limit, out _, out _);
        int kept = Math.Min(tokens.Count, ModelMaxLength - 2);

        var ids = new int[ModelMaxLength];
        ids[0] = BosId;
        for (int i = 0; i < kept; i++)
        {
            ids[i + 1] = tokens[i];
        }

        ids[kept + 1] = EosId;
        ids.AsSpan(kept + 2).Fill(PadId);
        return new TokenizedPrompt(ids, tokens.Count > kept || cut, tokens.Count)
        {
            TokenCountIsLowerBound = tokens.Count > MaxCountedTokens || cut,
        };
    }
}
