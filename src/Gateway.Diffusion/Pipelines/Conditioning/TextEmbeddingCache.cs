namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>
/// One text encoder's output for recent texts (the empty negative prompt above all), bounded by count and evicted
/// least-recently-used. One per encoder of a loaded model, so the key needs only the text; used from the engine's
/// worker thread.
/// </summary>
internal sealed class TextEmbeddingCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Text, EncodedText Encoded)>> _byText = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Text, EncodedText Encoded)> _recency = new();
    private readonly Lock _lock = new();

    public bool TryGet(string text, out EncodedText encoded)
    {
        lock (_lock)
        {
            if (_byText.TryGetValue(text, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                encoded = node.Value.Encoded;
                return true;
            }
        }
        encoded = null!;
        return false;
    }

    public void Add(string text, EncodedText encoded)
    {
        if (capacity <= 0) return;
        lock (_lock)
        {
            if (_byText.TryGetValue(text, out var existing)) _recency.Remove(existing);
            _byText[text] = _recency.AddFirst((text, encoded));
            while (_byText.Count > capacity)
            {
                _byText.Remove(_recency.Last!.Value.Text);
                _recency.RemoveLast();
            }
        }
    }
}

/// <summary>One text through one encoder: hidden states [sequence, hidden] and, for a pooling encoder, [pooled].</summary>
internal sealed record EncodedText(float[] Hidden, float[]? Pooled);
