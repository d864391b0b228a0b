using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>
/// The text conditioning of one batch: every prompt is registered first, then each encoder runs once over the texts
/// that neither this batch nor the encoder's cache has yet.
/// </summary>
internal sealed class ConditioningBatch
{
    private readonly TextConditioner _conditioner;
    private readonly RunOptions _runOptions;
    private readonly OnnxClock _clock;
    private readonly Dictionary<string, EncodedText>[] _encoded;
    private readonly Dictionary<string, int[]>[] _pending;

    public ConditioningBatch(TextConditioner conditioner, RunOptions runOptions, OnnxClock clock)
    {
        _conditioner = conditioner;
        _runOptions = runOptions;
        _clock = clock;
        _encoded = conditioner.Stages.Select(_ => new Dictionary<string, EncodedText>(StringComparer.Ordinal)).ToArray();
        _pending = conditioner.Stages.Select(_ => new Dictionary<string, int[]>(StringComparer.Ordinal)).ToArray();
    }

    /// <summary>Registers the texts of one side of a request; truncation warnings for the client go to <paramref name="warnings"/>.</summary>
    public void Add(PromptTexts texts, string what, ICollection<string> warnings)
    {
        for (var i = 0; i < _conditioner.Stages.Count; i++)
        {
            var stage = _conditioner.Stages[i];
            var text = texts.For(stage.Prompt);
            var tokens = stage.Tokenizer.Encode(text);
            var name = stage.Prompt == PromptSlot.Second && texts.Second is not null ? $"{what} 2" : what;
            var count = tokens.TokenCountIsLowerBound ? $"at least {tokens.TokenCount}" : $"{tokens.TokenCount}";
            var warning = $"The {name} is {count} tokens; only the first {stage.Tokenizer.MaxPromptTokens} were used.";
            if (tokens.Truncated && !warnings.Contains(warning)) warnings.Add(warning);
            if (_encoded[i].ContainsKey(text) || _pending[i].ContainsKey(text)) continue;
            if (stage.Cache.TryGet(text, out var cached)) _encoded[i][text] = cached;
            else _pending[i][text] = tokens.Ids;
        }
    }

    /// <summary>Registers a negative side, unless it is empty and the model conditions on zeros for that.</summary>
    public void AddNegative(PromptTexts texts, ICollection<string> warnings)
    {
        if (!UsesZeros(texts)) Add(texts, "negative prompt", warnings);
    }

    /// <summary>Runs each encoder once over its pending texts.</summary>
    public void EncodePending()
    {
        for (var i = 0; i < _conditioner.Stages.Count; i++)
        {
            var pending = _pending[i];
            if (pending.Count == 0) continue;
            var stage = _conditioner.Stages[i];
            var sequence = stage.Tokenizer.ModelMaxLength;
            var texts = pending.Keys.ToList();
            var ids = new int[texts.Count * sequence];
            for (var t = 0; t < texts.Count; t++) pending[texts[t]].CopyTo(ids, t * sequence);
            var batch = stage.Encoder.Encode(ids, texts.Count, sequence, _runOptions, _clock);
            var rowLength = sequence * batch.HiddenSize;
            for (var t = 0; t < texts.Count; t++)
            {
                var encoded = new EncodedText(batch.HiddenStates.AsSpan(t * rowLength, rowLength).ToArray(),
                    batch.Pooled?.AsSpan(t * batch.PooledSize, batch.PooledSize).ToArray());
                _encoded[i][texts[t]] = encoded;
                stage.Cache.Add(texts[t], encoded);
            }
            pending.Clear();
        }
    }

    /// <summary>The conditioning of registered, encoded texts: hidden states concatenated stage by stage on the hidden axis.</summary>
    public TextConditioning Get(PromptTexts texts)
    {
        var stages = _conditioner.Stages;
        var encoded = new EncodedText[stages.Count];
        for (var i = 0; i < stages.Count; i++) encoded[i] = _encoded[i][texts.For(stages[i].Prompt)];
        var pooled = encoded.Select(p => p.Pooled).FirstOrDefault(p => p is not null);
        var parts = encoded.Where((_, i) => stages[i].GivesHidden).ToArray();
        if (parts.Length == 1) return new TextConditioning(parts[0].Hidden, pooled);

        var sequence = _conditioner.SequenceLength;
        var widths = parts.Select(p => p.Hidden.Length / sequence).ToArray();
        var width = widths.Sum();
        var hidden = new float[sequence * width];
        for (var s = 0; s < sequence; s++)
        {
            var offset = s * width;
            for (var i = 0; i < parts.Length; i++)
            {
                parts[i].Hidden.AsSpan(s * widths[i], widths[i]).CopyTo(hidden.AsSpan(offset));
                offset += widths[i];
            }
        }
        return new TextConditioning(hidden, pooled);
    }

    /// <summary>The negative side's conditioning: zeros shaped like <paramref name="positive"/> when the model asks for
    /// them, else the encoding of its texts.</summary>
    public TextConditioning GetNegative(PromptTexts texts, TextConditioning positive) =>
        UsesZeros(texts)
            ? _conditioner.Zeros(positive.Hidden.Length / _conditioner.SequenceLength, positive.Pooled?.Length)
            : Get(texts);

    private bool UsesZeros(PromptTexts texts) => _conditioner.ForceZerosForEmptyNegative && texts.IsEmpty;
}
