using Microsoft.ML.Tokenizers;

namespace Gateway.Diffusion.Text;

/// <summary>
/// T5's tokenizer as FluxPipeline uses it (<c>T5TokenizerFast</c> on <c>tokenizer_2/spiece.model</c>, a SentencePiece
/// unigram model): the pieces of the normalized prompt, EOS appended, padded with the pad id to
/// <see cref="ModelMaxLength"/> (<c>max_sequence_length</c>: 256 for FLUX.1-schnell, 512 for dev); longer prompts
/// are truncated to leave room for the EOS.
/// </summary>
public sealed class T5Tokenizer : ITextTokenizer
{
    /// <summary>The file of the export's tokenizer folder this tokenizer reads.</summary>
    public const string ModelFile = "spiece.model";

    private readonly SentencePieceTokenizer _pieces;
    private readonly int _unkId;

    private T5Tokenizer(SentencePieceTokenizer pieces, int modelMaxLength, int padId)
    {
        _pieces = pieces;
        ModelMaxLength = modelMaxLength;
        PadId = padId;
        EosId = pieces.EndOfSentenceId;
        _unkId = pieces.UnknownId;
    }

    public int ModelMaxLength { get; }

    public int MaxPromptTokens => ModelMaxLength - 1;

    public int EosId { get; }

    public int PadId { get; }

    /// <summary>Reads <c>spiece.model</c> from <paramref name="tokenizerDirectory"/>.</summary>
    /// <param name="modelMaxLength">Ids per prompt, EOS and padding included.</param>
    /// <exception cref="FileNotFoundException">The folder has no spiece.model.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model with an EOS piece.</exception>
    public static T5Tokenizer Load(string tokenizerDirectory, int modelMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(modelMaxLength, 2);
        var path = Path.Combine(tokenizerDirectory, ModelFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{ModelFile} not found ({path}).", path);
        var bytes = File.ReadAllBytes(path);
        SentencePieceTokenizer pieces;
        SentencePieceSpecialIds ids;
        try
        {
            ids = SentencePieceSpecialIds.Read(bytes);
            if (ids.Eos < 0) throw new InvalidDataException($"{ModelFile} has no end-of-sentence piece.");
            using var stream = new MemoryStream(ids.WithBos(ids.Bos >= 0 ? ids.Bos : Math.Max(ids.Pad, 0), bytes));
            pieces = SentencePieceTokenizer.Create(stream, false, false);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{ModelFile} is not a SentencePiece model: {e.Message}", e);
        }
        return new T5Tokenizer(pieces, modelMaxLength, Math.Max(ids.Pad, 0));
    }

    /// <summary>The prompt's piece ids, without EOS.</summary>
    public IReadOnlyList<int> EncodeTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _pieces.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        // sentencepiece's unigram model merges a run of unknown characters into one unknown piece ("日本" → one <unk>);
        // Microsoft.ML.Tokenizers 2.0.1 gives one per character.
        var merged = new List<int>(ids.Count);
        foreach (var id in ids)
        {
            if (id == _unkId && merged.Count > 0 && merged[^1] == _unkId) continue;
            merged.Add(id);
        }
        return merged;
    }

    public TokenizedPrompt Encode(string text)
    {
        var tokens = EncodeTokens(text);
        var kept = Math.Min(tokens.Count, MaxPromptTokens);
        var ids = new int[ModelMaxLength];
        for (var i = 0; i < kept; i++) ids[i] = tokens[i];
        ids[kept] = EosId;
        ids.AsSpan(kept + 1).Fill(PadId);
        return new TokenizedPrompt(ids, tokens.Count > kept, tokens.Count);
    }
}
