using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// A node's worker side: pulls jobs from the cluster's queue, only for models its engine has loaded and only while it
/// has room (the engine's batch limit, so compatible jobs it pulled together share a run), runs them on the engine,
/// renews their leases, reports their events, and records their ends. It also takes over the leases of nodes that
/// stopped renewing, and sends the node's heartbeat.
/// </summary>
public sealed class ClusterWorker(
    RedisCluster redis, DiffusionEngine engine, IJobCompletion completion, string role, ILogger<ClusterWorker> logger)
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(250);
    /// <summary>How long a finished job's end is retried while Redis is away before its images are given up.</summary>
    private static readonly TimeSpan RecordTolerance = TimeSpan.FromMinutes(2);

    private readonly ClusterQueue _queue = new(redis);
    private readonly ClusterEvents _events = new(redis);
    private readonly NodeDirectory _nodes = new(redis);
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);

    private IReadOnlyCollection<string>? _announced;

    private bool Works => role != "api";

    /// <summary>Whether the cluster's directory has this node's heartbeat with every model its engine has ready now, so
    /// that any node admits requests for them; until then the node is not ready.</summary>
    public bool Announced => _announced is { } models && (!Works || engine.ReadyModels.All(models.Contains));

    /// <summary>Runs until <paramref name="stopping"/>; jobs still running then are stopped here and queued again for
    /// another node.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        await SubscribeAsync();
        long lastBeat = 0, lastRenew = 0, lastReclaim = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await redis.EnsureGroupAsync();
                break;
            }
            catch (Exception e) when (IsOutage(e))
            {
                logger.LogWarning("Redis is unreachable; the node retries: {Reason}", e.Message);
                await Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // A model that finished loading is announced at once, not at the next regular beat.
                if (Stopwatch.GetElapsedTime(lastBeat) >= redis.Settings.Heartbeat || lastBeat == 0 || !Announced)
                {
                    var report = Report();
                    await _nodes.BeatAsync(report);
                    _announced = report.Models;
                    lastBeat = Stopwatch.GetTimestamp();
                }
                if (Works)
                {
                    if (Stopwatch.GetElapsedTime(lastRenew) >= redis.Settings.Lease / 3)
                    {
                        await RenewAsync();
                        lastRenew = Stopwatch.GetTimestamp();
                    }
                    if (Stopwatch.GetElapsedTime(lastReclaim) >= redis.Settings.Lease / 2)
                    {
                        if (await _queue.ReclaimAsync() is var requeued and > 0)
                            logger.LogWarning("Queued {Count} job(s) again whose node stopped renewing their lease", requeued);
                        lastReclaim = Stopwatch.GetTimestamp();
                    }
                    await PullAsync();
                }
            }
            catch (Exception e) when (IsOutage(e))
            {
                logger.LogWarning("Redis is unreachable; the node retries: {Reason}", e.Message);
                await Delay(TimeSpan.FromSeconds(1), stopping);
            }
            await WaitAsync(stopping);
        }
        // Not the jobs' end: they go back to the queue for another node to run from the start (or, without Redis, to
        // their leases, which expire).
        var leases = _running.Values.Select(r => r.Lease).ToList();
        foreach (var running in _running.Values)
        {
            running.Lost = true;
            running.Cancel();
        }
        try
        {
            if (await _queue.ReleaseAsync(leases) is var released and > 0)
                logger.LogInformation("Queued {Count} running job(s) again for other nodes, as this node stops", released);
        }
        catch (Exception e) when (IsOutage(e))
        {
            logger.LogWarning("Redis is unreachable as the node stops; its {Count} running job(s) wait for their leases to expire: {Reason}",
                leases.Count, e.Message);
        }
    }

    private async Task WaitAsync(CancellationToken stopping)
    {
        try
        {
            await _wake.WaitAsync(Idle, stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private NodeReport Report() => new(redis.Settings.NodeName, role, Works ? engine.ReadyModels : [], _running.Count, Capacity,
        engine.ExecutionProvider, DateTimeOffset.UtcNow, engine.RunCosts);

    private int Capacity => Math.Max(1, engine.BatchLimit);

    private async Task PullAsync()
    {
        var room = Capacity - _running.Count;
        if (room <= 0) return;
        var models = engine.ReadyModels;
        if (models.Count == 0) return;
        foreach (var lease in await _queue.TakeAsync(models, room))
        {
            var running = new Running(lease);
            _running[lease.Job.Ref] = running;
            _ = ExecuteAsync(running);
        }
    }

    private async Task RenewAsync()
    {
        var running = _running.Values.ToList();
        var answers = await _queue.RenewAsync(running.Select(r => r.Lease).ToList());
        for (var i = 0; i < running.Count; i++)
        {
            switch (answers[i])
            {
                case LeaseState.CancelRequested:
                    running[i].Cancel();
                    break;
                case LeaseState.Lost:
                    logger.LogWarning("Lost the lease of job {Job} (another node took it over, or it ended); stopping it here",
                        running[i].Lease.Job.JobId);
                    running[i].Lost = true;
                    running[i].Cancel();
                    break;
            }
        }
    }

    private async Task ExecuteAsync(Running running)
    {
        var job = running.Lease.Job;
        var feed = new GenerationFeed();
        var subscription = feed.Subscribe();
        var relay = RelayAsync(job.Ref, subscription);
        var options = new GenerationOptions
        {
            Priority = job.Priority,
            Client = job.Owner,
            JobId = job.JobId,
            Dialect = job.Dialect,
            Deadline = job.Deadline,
        };
        try
        {
            var result = await engine.GenerateAsync(job.Request, options, feed, running.Token);
            if (running.Lost) return;
            await RecordAsync(() => FinishAsync(job, result));
        }
        catch (Exception e) when (!running.Lost)
        {
            await RecordAsync(() => FailAsync(job, e, running.Token.IsCancellationRequested));
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Job {Job} stopped here after its lease was lost", job.JobId);
        }
        finally
        {
            subscription.Dispose();
            await relay;
            _running.TryRemove(job.Ref, out _);
            running.Dispose();
            _wake.Release();
        }
    }

    private async Task FinishAsync(ClusterJob job, GenerationResult result)
    {
        if (job.Store is { } store)
        {
            var file = await completion.StoreAsync(job, result);
            if (!await _queue.FinishAsync(job.Ref, file, null, store.Credits, completion.LedgerEntry(job, DateTimeOffset.UtcNow)))
                await completion.DiscardAsync(file);
            return;
        }
        var key = await _queue.PutResultAsync(job.Ref, ClusterJson.Serialize(result));
        await _queue.FinishAsync(job.Ref, null, key, 0, "");
    }

    private async Task FailAsync(ClusterJob job, Exception error, bool cancelled)
    {
        if (error is OperationCanceledException && cancelled)
        {
            var state = await _queue.FindAsync(job.Ref);
            await _queue.FailAsync(job.Ref, "cancelled", state?.CancelCode ?? "job_cancelled",
                state?.CancelMessage ?? "The job was cancelled before it finished.", null, 409);
            return;
        }
        if (error is DeadlineExceededException)
        {
            await _queue.FailAsync(job.Ref, "expired", "deadline_exceeded", error.Message, "deadline", 504);
            return;
        }
        var (status, code, param, message) = completion.Describe(error);
        await _queue.FailAsync(job.Ref, "failed", code, message, param, status);
    }

    /// <summary>Writes a job's end, retrying while Redis is away (the images exist: losing them would run the job again).</summary>
    private async Task RecordAsync(Func<Task> write)
    {
        var since = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception e) when (IsOutage(e) && Stopwatch.GetElapsedTime(since) < RecordTolerance)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
            catch (Exception e)
            {
                logger.LogError(e, "Could not record the end of a job; its lease will expire and it runs again");
                return;
            }
        }
    }

    /// <summary>Copies the job's started and step events to its Redis stream, and its step to its record.</summary>
    private async Task RelayAsync(string reference, FeedSubscription subscription)
    {
        try
        {
            await foreach (var e in subscription.Events.ReadAllAsync())
            {
                if (e is QueuedEvent) continue;
                await _events.AppendAsync(reference, e);
                if (e is StepEvent step) await _queue.SetStepAsync(reference, step.Step);
            }
        }
        catch (Exception e) when (IsOutage(e))
        {
            // Progress is best effort; the job's end is recorded with retries.
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await redis.Subscriber.SubscribeAsync(redis.Channel("queued"), (_, _) => _wake.Release());
            await redis.Subscriber.SubscribeAsync(redis.Channel("cancel"), (_, message) =>
            {
                if (_running.TryGetValue(message.ToString(), out var running)) running.Cancel();
            });
        }
        catch (Exception e) when (IsOutage(e))
        {
            logger.LogWarning("Could not subscribe to the cluster's messages yet; the worker polls: {Reason}", e.Message);
        }
    }

    private static bool IsOutage(Exception e) => RedisOutage.Is(e);

    private static async Task Delay(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private sealed class Running(ClusterLease lease) : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();
        private int _disposed;

        public ClusterLease Lease { get; } = lease;
        public CancellationToken Token => _cancellation.Token;
        public volatile bool Lost;

        public void Cancel()
        {
            if (Volatile.Read(ref _disposed) == 1) return;
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Ended in the meantime.
            }
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _disposed, 1);
            _cancellation.Dispose();
        }
    }
}
