using System.Collections.Concurrent;
using Gateway.Diffusion.Engine;
using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>
/// The jobs of every dialect by (API key, job id): those in progress, and for <see cref="Retention"/> those that
/// ended, so a late subscriber still gets the final event. A job id in progress is unique per key across dialects.
/// </summary>
public sealed class TrackedJobs
{
    /// <summary>How long an ended job's events are kept.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);
    private const int MaxRetained = 2000;

    private readonly ConcurrentDictionary<(string Owner, string JobId), TrackedJob> _active = new();
    private readonly ConcurrentDictionary<(string Owner, string JobId), (TrackedJob Job, DateTimeOffset EndedAt)> _ended = new();
    private readonly ConcurrentQueue<((string, string) Key, TrackedJob Job, DateTimeOffset EndedAt)> _endedOrder = new();

    /// <summary>Starts tracking a job; 409 <c>duplicate_job_id</c> naming <paramref name="param"/> when the key has one
    /// in progress with this id.</summary>
    public TrackedJob Start(string owner, string jobId, string dialect, GenerationOptions options, CancellationToken requestAborted,
        string param)
    {
        // The job's identity goes with its scheduling, so a cluster names the job as the client does.
        var job = new TrackedJob(owner, jobId, dialect, options with { JobId = jobId, Dialect = dialect }, requestAborted, Ended);
        if (!_active.TryAdd((owner, jobId), job))
        {
            job.Dispose();
            throw new ApiException(StatusCodes.Status409Conflict,
                $"This API key already has a job '{jobId}' in progress; job ids must be unique per key.", param, "duplicate_job_id");
        }
        Purge();
        return job;
    }

    /// <summary>The job in progress with this id, else the one that ended most recently within the retention.</summary>
    public TrackedJob? Find(string owner, string jobId)
    {
        if (_active.TryGetValue((owner, jobId), out var job)) return job;
        return _ended.TryGetValue((owner, jobId), out var ended) && DateTimeOffset.UtcNow - ended.EndedAt < Retention ? ended.Job : null;
    }

    public TrackedJob? FindActive(string owner, string jobId) => _active.GetValueOrDefault((owner, jobId));

    /// <summary><see cref="Find"/>, waiting up to <paramref name="wait"/> for a job whose request is still on its way.</summary>
    public async Task<TrackedJob?> WaitForAsync(string owner, string jobId, TimeSpan wait, CancellationToken cancel)
    {
        var until = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            if (Find(owner, jobId) is { } job) return job;
            if (DateTimeOffset.UtcNow >= until) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(25), cancel);
        }
    }

    private void Ended(TrackedJob job)
    {
        var key = (job.Owner, job.JobId);
        var now = DateTimeOffset.UtcNow;
        _ended[key] = (job, now);
        _endedOrder.Enqueue((key, job, now));
        _active.TryRemove(new KeyValuePair<(string, string), TrackedJob>(key, job));
    }

    private void Purge()
    {
        var cutoff = DateTimeOffset.UtcNow - Retention;
        while (_endedOrder.TryPeek(out var oldest) && (oldest.EndedAt < cutoff || _endedOrder.Count > MaxRetained))
        {
            if (!_endedOrder.TryDequeue(out oldest)) break;
            _ended.TryRemove(new KeyValuePair<(string, string), (TrackedJob, DateTimeOffset)>(oldest.Key, (oldest.Job, oldest.EndedAt)));
        }
    }
}
