namespace Gateway.Diffusion.Engine;

/// <summary>
/// Highest priority first; within a priority, clients take turns (round robin) and each client's own items keep
/// their order. So one client's flood waits behind its own items, not in front of everyone else's.
/// Not thread-safe: the engine guards it with its lock.
/// </summary>
internal sealed class FairPriorityQueue<T> where T : class
{
    private readonly SortedDictionary<int, Level> _levels = new(Comparer<int>.Create((a, b) => b.CompareTo(a)));

    public int Count { get; private set; }

    public void Enqueue(T item, int priority, string client)
    {
        if (!_levels.TryGetValue(priority, out var level)) _levels[priority] = level = new Level();
        if (!level.ByClient.TryGetValue(client, out var queue))
        {
            level.ByClient[client] = queue = new LinkedList<T>();
            level.Turns.AddLast(client);
        }
        queue.AddLast(item);
        Count++;
    }

    public bool TryDequeue(out T item)
    {
        foreach (var (priority, level) in _levels)
        {
            var client = level.Turns.First!.Value;
            var queue = level.ByClient[client];
            item = queue.First!.Value;
            queue.RemoveFirst();
            level.Turns.RemoveFirst();
            if (queue.Count > 0) level.Turns.AddLast(client);
            else level.ByClient.Remove(client);
            if (level.Turns.Count == 0) _levels.Remove(priority);
            Count--;
            return true;
        }
        item = null!;
        return false;
    }

    /// <summary>Removes a waiting item (a cancelled one); false when it already left the queue.</summary>
    public bool Remove(T item, int priority, string client)
    {
        if (!_levels.TryGetValue(priority, out var level) || !level.ByClient.TryGetValue(client, out var queue) || !queue.Remove(item))
            return false;
        if (queue.Count == 0)
        {
            level.ByClient.Remove(client);
            level.Turns.Remove(client);
            if (level.Turns.Count == 0) _levels.Remove(priority);
        }
        Count--;
        return true;
    }

    /// <summary>The waiting items in the order they would be dequeued if nothing else arrived.</summary>
    public List<T> InDispatchOrder()
    {
        var order = new List<T>(Count);
        foreach (var level in _levels.Values)
        {
            var cursors = level.Turns.Select(c => level.ByClient[c].First).ToList();
            while (cursors.Count > 0)
            {
                for (var i = 0; i < cursors.Count; i++)
                {
                    order.Add(cursors[i]!.Value);
                    cursors[i] = cursors[i]!.Next;
                }
                cursors.RemoveAll(c => c is null);
            }
        }
        return order;
    }

    private sealed class Level
    {
        public LinkedList<string> Turns { get; } = new();
        public Dictionary<string, LinkedList<T>> ByClient { get; } = new(StringComparer.Ordinal);
    }
}
