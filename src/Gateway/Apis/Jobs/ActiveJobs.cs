using System.Collections.Concurrent;

namespace Gateway.Apis.Jobs;

/// <summary>The jobs this process is working on, by (API key, job_id). When the server stops, every one is cancelled,
/// so its waiting request is answered and its record says why it failed instead of the shutdown waiting for it.</summary>
public sealed class ActiveJobs
{
    private readonly ConcurrentDictionary<(string Owner, string JobId), ActiveJob> _jobs = new();
    private volatile bool _stopping;

    public ActiveJobs(IHostApplicationLifetime lifetime) =>
        lifetime.ApplicationStopping.Register(() =>
        {
            _stopping = true;
            foreach (var job in _jobs.Values) job.Cancel(CancelReason.ShuttingDown);
        });

    /// <summary>False when the key already has an active job with this id.</summary>
    public bool TryAdd(ActiveJob job)
    {
        if (!_jobs.TryAdd((job.Owner, job.JobId), job)) return false;
        if (_stopping) job.Cancel(CancelReason.ShuttingDown);
        return true;
    }

    public void Remove(ActiveJob job) => _jobs.TryRemove(new KeyValuePair<(string, string), ActiveJob>((job.Owner, job.JobId), job));

    public ActiveJob? Find(string owner, string jobId) => _jobs.GetValueOrDefault((owner, jobId));
}
