using System.Diagnostics;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// Decides at once whether a generation may wait in line: the queue has room, and by the learned costs the work
/// ahead of it leaves time to meet its deadline. Both refusals tell the client when to try again from the same estimate.
/// </summary>
internal sealed class Admission(ModelCatalog catalog, GenerationQueue queue, int maxQueueLength)
{
    private readonly CostEstimator _costs = new();

    /// <summary>Queues <paramref name="item"/>, or returns why not.</summary>
    public Exception? TryEnqueue(WorkItem item)
    {
        lock (queue.Lock)
        {
            if (queue.IsClosed) return new ObjectDisposedException(nameof(DiffusionEngine));
            if (queue.Count >= maxQueueLength)
                return new QueueFullException(maxQueueLength, Ceiling(WaitAhead(item.Options.Priority) ?? TimeSpan.Zero));
            if (item.Options.Deadline is { } deadline && CheckDeadline(item, deadline) is { } refusal) return refusal;
            queue.Enqueue(item);
            AnnouncePositions();
            return null;
        }
    }

    /// <summary>Tells every waiting item with a feed its place, when it changed (a feed drops repeats), and its wait.</summary>
    public void AnnouncePositions()
    {
        lock (queue.Lock)
        {
            var waiting = queue.InDispatchOrder();
            if (!waiting.Exists(static item => item.Feed is not null)) return;
            var wait = RunningRemainder();
            for (var i = 0; i < waiting.Count; i++)
            {
                waiting[i].Feed?.Queued(i + 1, wait);
                wait = wait is { } sum && Estimate(waiting[i]) is { } own ? sum + own : null;
            }
        }
    }

    /// <summary>The place and estimated wait of the waiting item scheduled with <paramref name="options"/>.</summary>
    public QueueStanding? Standing(GenerationOptions options)
    {
        lock (queue.Lock)
        {
            var wait = RunningRemainder();
            var position = 0;
            foreach (var item in queue.InDispatchOrder())
            {
                position++;
                if (ReferenceEquals(item.Options, options)) return new QueueStanding(position, wait);
                wait = wait is { } sum && Estimate(item) is { } own ? sum + own : null;
            }
            return null;
        }
    }

    /// <summary>Learns from a finished run of <paramref name="model"/> that did <paramref name="units"/> of work.</summary>
    public void Observe(string model, double units, TimeSpan elapsed) => _costs.Observe(model, units, elapsed);

    /// <summary>What each model's runs cost, as learned so far.</summary>
    public IReadOnlyDictionary<string, RunCost> Costs() => _costs.Costs();

    /// <summary>The cost units of <paramref name="request"/> (steps × megapixels × images).</summary>
    public double Units(GenerationRequest request) => CostEstimator.Units(request, DefaultSteps(request.Model));

    /// <summary>Refuses a request whose deadline the queue cannot meet; unknown costs (a model's first run) are let through.</summary>
    private DeadlineUnreachableException? CheckDeadline(WorkItem item, DateTimeOffset deadline)
    {
        var available = deadline - DateTimeOffset.UtcNow;
        if (available <= TimeSpan.Zero)
            return new DeadlineUnreachableException(TimeSpan.Zero, available, TimeSpan.FromSeconds(1));
        var own = Estimate(item);
        var ahead = WaitAhead(item.Options.Priority);
        if (own is null || ahead is null) return null;
        var total = own.Value + ahead.Value;
        return total > available ? new DeadlineUnreachableException(total, available, Ceiling(ahead.Value)) : null;
    }

    /// <summary>Estimated time until a new item at <paramref name="priority"/> starts: the rest of the running batch and
    /// every waiting item of the same or higher priority. Null when any of them has no estimate yet.</summary>
    private TimeSpan? WaitAhead(int priority)
    {
        if (RunningRemainder() is not { } total) return null;
        foreach (var waiting in queue.InDispatchOrder())
        {
            if (waiting.Options.Priority < priority) continue;
            if (Estimate(waiting) is not { } estimate) return null;
            total += estimate;
        }
        return total;
    }

    /// <summary>The estimated rest of the running batch (zero when none runs); null when any of it has no estimate yet.</summary>
    private TimeSpan? RunningRemainder()
    {
        var (running, since) = queue.Running;
        if (running.Count == 0) return TimeSpan.Zero;
        var remaining = TimeSpan.Zero;
        foreach (var item in running)
        {
            if (Estimate(item) is not { } estimate) return null;
            remaining += estimate;
        }
        remaining -= Stopwatch.GetElapsedTime(since);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private TimeSpan? Estimate(WorkItem item) =>
        _costs.Estimate(item.Request.Model, CostEstimator.Units(item.Request, DefaultSteps(item.Request.Model)));

    private int DefaultSteps(string model) => catalog.TryGet(model, out var entry) ? entry.DefaultSteps : 1;

    private static TimeSpan Ceiling(TimeSpan time) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(time.TotalSeconds)));
}
