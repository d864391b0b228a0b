using System.Diagnostics;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The in-process queue between admission and the worker: waiting items in priority order, fair between clients, and
/// the batch running now. One lock covers both, so admission's estimates see a consistent picture.
/// </summary>
internal sealed class GenerationQueue : IDisposable
{
    private readonly FairPriorityQueue<WorkItem> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private List<WorkItem> _running = [];
    private long _runningSince;
    private bool _closed;

    public Lock Lock { get; } = new();

    /// <summary>Items waiting, not counting the running ones. Read under <see cref="Lock"/>.</summary>
    public int Count => _waiting.Count;

    /// <summary>The running batch and since when it runs. Read under <see cref="Lock"/>.</summary>
    public (IReadOnlyList<WorkItem> Items, long Since) Running => (_running, _runningSince);

    public bool IsClosed => _closed;

    /// <summary>Waiting items in the order they would run. Read under <see cref="Lock"/>.</summary>
    public List<WorkItem> InDispatchOrder() => _waiting.InDispatchOrder();

    /// <summary>Adds an item; the caller holds <see cref="Lock"/> and has checked admission.</summary>
    public void Enqueue(WorkItem item)
    {
        _waiting.Enqueue(item, item.Options.Priority, item.Options.Client);
        _signal.Release();
    }

    /// <summary>Removes a waiting item (cancelled, or taken into a batch); false when it is not waiting.</summary>
    public bool Remove(WorkItem item)
    {
        lock (Lock) return _waiting.Remove(item, item.Options.Priority, item.Options.Client);
    }

    /// <summary>Blocks until an item is waiting and takes it; null once the queue is closed and empty.</summary>
    public WorkItem? Take()
    {
        while (true)
        {
            _signal.Wait();
            lock (Lock)
            {
                if (_waiting.TryDequeue(out var item)) return item;
                if (_closed) return null;
            }
        }
    }

    /// <summary>Takes <paramref name="candidate"/> out of the queue to join a batch; the caller holds <see cref="Lock"/>.</summary>
    public void TakeIntoBatch(WorkItem candidate)
    {
        _waiting.Remove(candidate, candidate.Options.Priority, candidate.Options.Client);
        // Each taken item was counted by one release of the signal; take that count back.
        _signal.Wait(0);
    }

    /// <summary>Records the batch that starts now; the caller holds <see cref="Lock"/>.</summary>
    public void BeginRun(List<WorkItem> batch)
    {
        _running = batch;
        _runningSince = Stopwatch.GetTimestamp();
    }

    public void EndRun()
    {
        lock (Lock) _running = [];
    }

    /// <summary>Stops accepting work and returns what was still waiting; wakes the worker so it can exit.</summary>
    public List<WorkItem> Close()
    {
        List<WorkItem> abandoned;
        lock (Lock)
        {
            if (_closed) return [];
            _closed = true;
            abandoned = _waiting.InDispatchOrder();
            foreach (var item in abandoned) _waiting.Remove(item, item.Options.Priority, item.Options.Client);
        }
        _signal.Release();
        return abandoned;
    }

    public void Dispose() => _signal.Dispose();
}
