using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>
/// A generation of any dialect that a key can follow and cancel by its job id while it is in progress: its event
/// feed, its scheduling options (by whose reference the engine finds its queue place) and its cancellation (the
/// request leaving, <c>DELETE /jobs/{id}</c>, or shutdown). Ended with <see cref="Succeed"/> or <see cref="Fail"/>.
/// </summary>
public sealed class TrackedJob : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<TrackedJob> _onEnded;
    private int _cancelled;

    internal TrackedJob(string owner, string jobId, string dialect, GenerationOptions options, CancellationToken requestAborted,
        Action<TrackedJob> onEnded)
    {
        Owner = owner;
        JobId = jobId;
        Dialect = dialect;
        Options = options;
        _onEnded = onEnded;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    }

    public string Owner { get; }
    public string JobId { get; }
    /// <summary><c>jobs</c>, <c>openai</c> or <c>hyperbolic</c>.</summary>
    public string Dialect { get; }
    public GenerationOptions Options { get; }
    public GenerationFeed Feed { get; } = new();
    public CancellationToken Token => _cancellation.Token;

    /// <summary>True once <c>DELETE /jobs/{id}</c> asked for the cancellation.</summary>
    public bool Deleted => Volatile.Read(ref _cancelled) == 1;

    /// <summary>Completes when the job has ended and its final event is out.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Cancels the generation (queued: dropped at once; running: stopped at its next step).</summary>
    public void Delete()
    {
        if (Interlocked.Exchange(ref _cancelled, 1) == 1 || _ended.Task.IsCompleted) return;
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ended in the meantime.
        }
    }

    /// <summary>What the job's request answers for <paramref name="e"/>: 409 <c>job_cancelled</c> once DELETE stopped it,
    /// else <paramref name="e"/> itself.</summary>
    public Exception Answer(Exception e) =>
        e is OperationCanceledException && Deleted
            ? new ApiException(StatusCodes.Status409Conflict, $"The job '{JobId}' was cancelled (DELETE /jobs/{JobId}) before it finished.",
                JobIds.Header, "job_cancelled")
            : e;

    public void Succeed(string? url)
    {
        Feed.Finish(url);
        End();
    }

    /// <summary>Publishes why the job ended without images: cancelled (DELETE or the client leaving), expired (its
    /// deadline), or failed with the error the client is answered.</summary>
    public void Fail(Exception e)
    {
        if (e is OperationCanceledException)
            Feed.Fail(FailureStatus.Cancelled, Deleted ? "job_cancelled" : "client_disconnected",
                Deleted ? $"Cancelled by DELETE /jobs/{JobId}." : "The client disconnected before the job finished.");
        else if (e is Redis.ClusterJobFailedException { Code: "job_cancelled" })
            Feed.Fail(FailureStatus.Cancelled, "job_cancelled", e.Message);
        else if (e is DeadlineExceededException)
            Feed.Fail(FailureStatus.Expired, "deadline_exceeded", e.Message);
        else
        {
            var error = ErrorHandlingMiddleware.Map(e);
            Feed.Fail(FailureStatus.Failed, error.Code ?? "error",
                error.Status >= 500 && error.Code == "internal_error" ? "The generation failed; the error is logged on the server." : error.Message);
        }
        End();
    }

    public void Fail(FailureStatus status, string code, string message)
    {
        Feed.Fail(status, code, message);
        End();
    }

    private void End()
    {
        if (!_ended.TrySetResult()) return;
        _onEnded(this);
    }

    /// <summary>Ends a job nobody ended (an exception before the generation) as failed.</summary>
    public void Dispose()
    {
        if (!_ended.Task.IsCompleted) Fail(FailureStatus.Failed, "internal_error", "The request failed before the generation ran.");
        _cancellation.Dispose();
    }
}
