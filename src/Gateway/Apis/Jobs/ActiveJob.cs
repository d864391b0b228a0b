using Gateway.Diffusion.Engine;

namespace Gateway.Apis.Jobs;

/// <summary>Why an active job's cancellation was requested; the first reason wins.</summary>
public enum CancelReason
{
    None,
    /// <summary><c>DELETE /jobs/{job_id}</c>.</summary>
    Deleted,
    ShuttingDown,
}

/// <summary>
/// A job between submission and its final record: the engine's scheduling options (whose reference the engine's
/// <see cref="DiffusionEngine.QueuePosition"/> finds it by), live progress reported from the worker thread, and its
/// cancellation (the client leaving, DELETE, or shutdown).
/// </summary>
public sealed class ActiveJob : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private long _startedTicks;
    private int _step;
    private CancelReason _reason;
    private bool _disposed;

    public ActiveJob(string owner, string jobId, int priority, DateTimeOffset deadline, CancellationToken requestAborted)
    {
        Owner = owner;
        JobId = jobId;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        Options = new GenerationOptions
        {
            Priority = priority,
            Client = owner,
            Deadline = deadline,
            // Called on the engine's worker thread: only memory writes here, nothing that could slow the generation.
            Started = () => Interlocked.Exchange(ref _startedTicks, DateTimeOffset.UtcNow.UtcTicks),
            Progress = progress => Volatile.Write(ref _step, progress.Step),
        };
    }

    public string Owner { get; }
    public string JobId { get; }
    public GenerationOptions Options { get; }
    public CancellationToken Token => _cancellation.Token;

    public DateTimeOffset? StartedAt =>
        Interlocked.Read(ref _startedTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public int Step => Volatile.Read(ref _step);

    public CancelReason Reason
    {
        get { lock (_lock) return _reason; }
    }

    /// <summary>Completes when the submitting request has recorded the job's final state.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Requests cancellation; the engine drops a queued job at once and stops a running one at its next step.
    /// Does nothing once the job has ended.</summary>
    public void Cancel(CancelReason reason)
    {
        // Under the lock so that Dispose cannot come between the check and the cancel. Cancelling runs the engine's
        // callbacks synchronously; none of them comes back to this object, so this cannot deadlock.
        lock (_lock)
        {
            if (_disposed || _reason != CancelReason.None) return;
            _reason = reason;
            _cancellation.Cancel();
        }
    }

    public void MarkFinished() => _finished.TrySetResult();

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _cancellation.Dispose();
    }
}
