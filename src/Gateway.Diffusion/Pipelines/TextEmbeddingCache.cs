namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// The text encoder's output for recent prompts (the empty negative prompt above all), bounded by count and evicted
/// least-recently-used. One per model; used from the engine's worker thread.
/// </summary>
internal sealed class TextEmbeddingCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Text, float[] Embedding)>> _byText = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Text, float[] Embedding)> _recency = new();
    private readonly Lock _lock = new();

    public bool TryGet(string text, out float[] embedding)
    {
        lock (_lock)
        {
            if (_byText.TryGetValue(text, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                embedding = node.Value.Embedding;
                return true;
            }
        }
        embedding = [];
        return false;
    }

    public void Add(string text, float[] embedding)
    {
        if (capacity <= 0) return;
        lock (_lock)
        {
            if (_byText.TryGetValue(text, out var existing)) _recency.Remove(existing);
            _byText[text] = _recency.AddFirst((text, embedding));
            while (_byText.Count > capacity)
            {
                _byText.Remove(_recency.Last!.Value.Text);
                _recency.RemoveLast();
            }
        }
    }
}
