using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Text embeddings for every prompt of a batch: cached ones are reused, the rest go through the text encoder in one
/// call. An embedding is [sequence, hidden] for one prompt.
/// </summary>
internal sealed class PromptEncoder(StableDiffusionModel model, RunOptions runOptions, OnnxClock onnx)
{
    private readonly Dictionary<string, float[]> _embeddings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _pending = new(StringComparer.Ordinal);

    /// <summary>Tokenizes a request's prompts (the negative one only when guidance uses it); returns warnings for the client.</summary>
    public List<string> Prepare(GenerationRequest request, bool guided)
    {
        var warnings = new List<string>();
        Add(request.Prompt, "prompt", warnings);
        if (guided) Add(request.NegativePrompt, "negative prompt", warnings);
        return warnings;
    }

    public void EncodePending()
    {
        if (_pending.Count == 0) return;
        var sequence = model.Tokenizer.ModelMaxLength;
        var texts = _pending.Keys.ToList();
        var ids = new int[texts.Count * sequence];
        for (var i = 0; i < texts.Count; i++) _pending[texts[i]].CopyTo(ids, i * sequence);
        var (hiddenStates, hidden) = model.TextEncoder.Encode(ids, texts.Count, sequence, runOptions, onnx);
        var rowLength = sequence * hidden;
        for (var i = 0; i < texts.Count; i++)
        {
            var embedding = hiddenStates.AsSpan(i * rowLength, rowLength).ToArray();
            _embeddings[texts[i]] = embedding;
            model.Embeddings.Add(texts[i], embedding);
        }
        _pending.Clear();
    }

    public float[] Embedding(string text) => _embeddings[text];

    private void Add(string text, string what, List<string> warnings)
    {
        var tokens = model.Tokenizer.Encode(text);
        if (tokens.Truncated)
            warnings.Add($"The {what} is {tokens.TokenCount} tokens; only the first {model.Tokenizer.ModelMaxLength - 2} were used.");
        if (_embeddings.ContainsKey(text) || _pending.ContainsKey(text)) return;
        if (model.Embeddings.TryGet(text, out var cached)) _embeddings[text] = cached;
        else _pending[text] = tokens.Ids;
    }
}
