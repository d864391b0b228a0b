using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// The API side of a cluster node: admits a generation against the cluster's queue (a node serves the model, the
/// queue has room, the deadline can be met), queues it in Redis, relays its events into the caller's feed, and waits
/// for its end wherever it runs. A cancelled request cancels the job on whichever node runs it.
/// </summary>
public sealed class ClusterGenerationService : IGenerationService
{
    /// <summary>How long Redis may be unreachable while a request waits before it is answered 503.</summary>
    private static readonly TimeSpan OutageTolerance = TimeSpan.FromSeconds(60);
    /// <summary>How long a cancelled request waits for the node running the job to stop it.</summary>
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StandingInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan NodesCacheTime = TimeSpan.FromSeconds(1);

    private readonly RedisCluster _redis;
    private readonly DiffusionEngine _engine;
    private readonly int _maxQueueLength;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _wakers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<GenerationOptions, QueueStanding> _standings = new(ReferenceEqualityComparer.Instance);
    private (IReadOnlyList<NodeReport> Nodes, long At) _nodes = ([], 0);

    public ClusterGenerationService(RedisCluster redis, DiffusionEngine engine, int maxQueueLength, ILogger<ClusterGenerationService> logger)
    {
        (_redis, _engine, _maxQueueLength, _logger) = (redis, engine, Math.Max(0, maxQueueLength), logger);
        Queue = new ClusterQueue(redis);
        Events = new ClusterEvents(redis);
        Nodes = new NodeDirectory(redis);
        // Wakes the request waiting for a job the moment it ends; polling covers a message lost while reconnecting.
        _ = SubscribeAsync();
    }

    public ClusterQueue Queue { get; }
    public ClusterEvents Events { get; }
    public NodeDirectory Nodes { get; }

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, GenerationOptions? options, GenerationFeed? feed,
        CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        var job = new ClusterJob
        {
            Owner = options.Client,
            JobId = options.JobId ?? "gen-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Dialect = options.Dialect ?? "engine",
            Request = request,
            Priority = options.Priority,
            Deadline = options.Deadline,
        };
        var state = await RunAsync(job, options, feed, cancellationToken);
        var json = state.ResultKey is { } key ? await Queue.TakeResultAsync(key) : null;
        if (json is null)
            throw new ClusterJobFailedException(500, "result_lost", null, $"The job '{job.JobId}' finished, but its images were no longer in Redis.");
        return ClusterJson.Deserialize<GenerationResult>(json);
    }

    public QueueStanding? QueueStanding(GenerationOptions options) => _standings.GetValueOrDefault(options);

    /// <summary>Admits and queues <paramref name="job"/>, then waits for its end; answers its final state when it
    /// succeeded, else throws what the node that ran it answered (or what admission refused).</summary>
    public async Task<ClusterJobState> RunAsync(ClusterJob job, GenerationOptions options, GenerationFeed? feed, CancellationToken cancellationToken)
    {
        var units = await AdmitAsync(job);
        cancellationToken.ThrowIfCancellationRequested();
        if (!await Queue.SubmitAsync(job, units))
            throw new ClusterJobFailedException(409, "duplicate_job_id", job.Dialect == "jobs" ? "job_id" : "X-Job-Id",
                $"This API key already has a job with the id '{job.JobId}'; job ids must be unique per key.");
        try
        {
            var state = await WaitAsync(job, options, feed, cancellationToken);
            if (state.Status == "succeeded") return state;
            throw await FailureOfAsync(state, cancellationToken);
        }
        finally
        {
            _standings.TryRemove(options, out _);
        }
    }

    /// <summary>The nodes alive now, read at most once a second unless <paramref name="fresh"/>.</summary>
    public async Task<IReadOnlyList<NodeReport>> LiveNodesAsync(bool fresh = false)
    {
        var cached = _nodes;
        if (!fresh && Stopwatch.GetElapsedTime(cached.At) < NodesCacheTime && cached.At != 0) return cached.Nodes;
        var nodes = await Nodes.LiveAsync();
        _nodes = (nodes, Stopwatch.GetTimestamp());
        return nodes;
    }

    /// <summary>Refuses what cannot run: an unknown model, a request the local engine finds invalid (when it has the
    /// model), a model no live worker serves, a full queue, an unreachable deadline. Returns the job's cost units.</summary>
    private async Task<double> AdmitAsync(ClusterJob job)
    {
        var request = job.Request;
        if (!_engine.Catalog.TryGet(request.Model, out _))
            throw new UnknownModelException(request.Model, _engine.Catalog.Models.Select(m => m.Id));
        if (_engine.ReadyModels.Contains(request.Model)) _engine.Validate(request);
        var serving = (await LiveNodesAsync()).Count(n => n.Serves(request.Model));
        // A node that has just announced the model may be newer than the cached directory.
        if (serving == 0) serving = (await LiveNodesAsync(fresh: true)).Count(n => n.Serves(request.Model));
        if (serving == 0)
            throw new ModelNotReadyException(request.Model,
                $"No node of the cluster serves the model '{request.Model}' now: none has loaded it, or each one that has is down.");
        var units = _engine.CostUnits(request);
        var waiting = await Queue.WaitingAsync(_engine.Catalog.Models.Select(m => m.Id));
        if (waiting.Count >= _maxQueueLength)
            throw new QueueFullException(_maxQueueLength, Ceiling(await WaitOfAsync(waiting, int.MaxValue) ?? TimeSpan.Zero));
        if (job.Deadline is { } deadline)
        {
            var available = deadline - DateTimeOffset.UtcNow;
            if (available <= TimeSpan.Zero) throw new DeadlineUnreachableException(TimeSpan.Zero, available, TimeSpan.FromSeconds(1));
            var ahead = waiting.Where(w => w.Priority >= job.Priority).ToList();
            if (await WaitOfAsync(ahead, ahead.Count) is { } wait && Estimate(await LiveNodesAsync(), request.Model, units) is { } own)
            {
                var total = wait + own;
                if (total > available) throw new DeadlineUnreachableException(total, available, Ceiling(wait));
            }
        }
        return units;
    }

    /// <summary>The estimated time to run the first <paramref name="count"/> of <paramref name="waiting"/>, each on
    /// one of the nodes that serve its model; null while a model among them has no cost estimate yet.</summary>
    private async Task<TimeSpan?> WaitOfAsync(IReadOnlyList<WaitingJob> waiting, int count)
    {
        var ahead = waiting.Take(count).ToList();
        if (ahead.Count == 0) return TimeSpan.Zero;
        var nodes = await LiveNodesAsync();
        var batch = _redis.Database.CreateBatch();
        var reads = ahead.Select(w => batch.HashGetAsync(_redis.Key("job:" + w.Ref), ["model", "units"])).ToList();
        batch.Execute();
        var total = TimeSpan.Zero;
        foreach (var read in reads)
        {
            var fields = await read;
            var model = fields[0].ToString();
            if (Estimate(nodes, model, fields[1].IsNull ? 0 : (double)fields[1]) is not { } one) return null;
            total += one / Math.Max(1, nodes.Count(n => n.Serves(model)));
        }
        return total;
    }

    /// <summary>A run of <paramref name="units"/> of <paramref name="model"/> as the nodes that have run it learned, on
    /// average; null when none has yet.</summary>
    private static TimeSpan? Estimate(IReadOnlyList<NodeReport> nodes, string model, double units)
    {
        var known = nodes.Where(n => n.Serves(model) && n.Costs.ContainsKey(model)).Select(n => n.Costs[model].Seconds(units)).ToList();
        return known.Count == 0 ? null : TimeSpan.FromSeconds(known.Average());
    }

    private async Task<ClusterJobState> WaitAsync(ClusterJob job, GenerationOptions options, GenerationFeed? feed, CancellationToken cancellationToken)
    {
        var reference = job.Ref;
        var waker = _wakers.GetOrAdd(reference, _ => new SemaphoreSlim(0));
        var lastEvent = "0";
        int? lastPosition = null;
        var standingAt = 0L;
        var outageSince = 0L;
        var cancelAsked = false;
        var cancelledAt = 0L;
        var delay = TimeSpan.FromMilliseconds(20);
        try
        {
            while (true)
            {
                if (cancellationToken.IsCancellationRequested && cancelledAt == 0) cancelledAt = Stopwatch.GetTimestamp();
                try
                {
                    if (cancelledAt != 0 && !cancelAsked)
                    {
                        await Queue.CancelAsync(reference, "client_disconnected", "The client disconnected before the job finished.");
                        cancelAsked = true;
                    }
                    var state = await Queue.FindAsync(reference)
                                ?? throw new ClusterJobFailedException(500, "job_lost", null, $"The job '{job.JobId}' is no longer in Redis.");
                    foreach (var (id, e) in await Events.ReadAsync(reference, lastEvent, static _ => null))
                    {
                        lastEvent = id;
                        if (!e.IsFinal) feed?.Relay(e);
                    }
                    if (state.IsFinal) return state;
                    if (state.Status == ClusterQueue.StatusQueued && Stopwatch.GetElapsedTime(standingAt) >= StandingInterval)
                    {
                        standingAt = Stopwatch.GetTimestamp();
                        var standing = await StandingOfAsync(state);
                        if (standing is not null)
                        {
                            _standings[options] = standing;
                            if (standing.Position != lastPosition) await Events.AppendAsync(reference, new QueuedEvent(standing.Position, standing.Eta));
                            lastPosition = standing.Position;
                        }
                    }
                    else if (state.Status != ClusterQueue.StatusQueued)
                    {
                        _standings.TryRemove(options, out _);
                        lastPosition = null;
                    }
                    outageSince = 0;
                }
                catch (Exception e) when (RedisOutage.Is(e))
                {
                    if (outageSince == 0)
                    {
                        outageSince = Stopwatch.GetTimestamp();
                        _logger.LogWarning("Redis is unreachable while job {Job} waits; retrying: {Reason}", job.JobId, e.Message);
                    }
                    else if (Stopwatch.GetElapsedTime(outageSince) > OutageTolerance) throw;
                }
                if (cancelledAt != 0 && Stopwatch.GetElapsedTime(cancelledAt) > CancelWait) throw new OperationCanceledException(cancellationToken);
                await waker.WaitAsync(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 1.5));
            }
        }
        finally
        {
            _wakers.TryRemove(reference, out _);
        }
    }

    /// <summary>The job's place among every waiting job of the cluster and the estimated wait until it starts; null
    /// when it is not waiting.</summary>
    public Task<QueueStanding?> StandingAsync(ClusterJobState state) => StandingOfAsync(state);

    private async Task<QueueStanding?> StandingOfAsync(ClusterJobState state)
    {
        var waiting = await Queue.WaitingAsync(_engine.Catalog.Models.Select(m => m.Id));
        var index = -1;
        for (var i = 0; i < waiting.Count; i++)
            if (waiting[i].Ref == state.Ref) index = i;
        if (index < 0) return null;
        return new QueueStanding(index + 1, await WaitOfAsync(waiting, index));
    }

    private async Task<Exception> FailureOfAsync(ClusterJobState state, CancellationToken cancellationToken)
    {
        var refusal = state.ErrorStatus is 400 or 404 || state.ErrorCode == "model_not_ready";
        // Refused before any work: the id may be sent again, as on a single node.
        if (refusal) await Queue.ForgetAsync(state.Ref);
        var message = state.ErrorMessage ?? "The job failed.";
        return state.Status switch
        {
            "cancelled" when cancellationToken.IsCancellationRequested => new OperationCanceledException(cancellationToken),
            "expired" => new DeadlineExceededException(state.DeadlineAt ?? DateTimeOffset.UtcNow),
            _ when state.ErrorStatus == 400 && state.ErrorCode is InvalidGenerationRequestException.InvalidValue
                    or InvalidGenerationRequestException.UnsupportedParameter =>
                new InvalidGenerationRequestException(state.ErrorParam ?? "", message, state.ErrorCode),
            _ when state.ErrorCode == "model_not_ready" => new ModelNotReadyException(state.Model, message),
            _ => new ClusterJobFailedException(state.ErrorStatus is >= 400 and < 600 ? state.ErrorStatus : 500,
                state.ErrorCode ?? "failed", state.ErrorParam, message),
        };
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await _redis.Subscriber.SubscribeAsync(_redis.Channel("done"), (_, message) =>
            {
                if (_wakers.TryGetValue(message.ToString(), out var waker)) waker.Release();
            });
        }
        catch (Exception e) when (RedisOutage.Is(e))
        {
            _logger.LogWarning("Could not subscribe to the cluster's job ends yet; waiting requests poll: {Reason}", e.Message);
        }
    }

    private static TimeSpan Ceiling(TimeSpan time) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(time.TotalSeconds)));
}
