using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The only owner of ONNX Runtime sessions. Loads the catalog's models and runs generations on one worker thread
/// (one execution device, whose cores ONNX Runtime already uses in parallel), taking them from a bounded queue in
/// priority order, fairly between clients, with deadlines and cancellation.
/// </summary>
public sealed class DiffusionEngine : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly ILogger _logger;
    private readonly int _maxQueueLength;
    private readonly int? _maxBatchImages;
    private readonly TimeSpan _batchWindow;
    private readonly ConcurrentDictionary<string, ModelStatus> _status = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StableDiffusionModel> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly FairPriorityQueue<WorkItem> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CostEstimator _costs = new();
    private readonly Thread _worker;
    private List<WorkItem> _running = [];
    private EngineStatistics _statistics = new(0, 0, TimeSpan.Zero, TimeSpan.Zero);
    private long _runningSince;
    private bool _stopping;

    private DiffusionEngine(ModelCatalog catalog, OnnxSessionFactory sessions, EngineOptions options, ILogger logger)
    {
        Catalog = catalog;
        _sessions = sessions;
        _maxQueueLength = Math.Max(0, options.MaxQueueLength);
        _maxBatchImages = options.MaxBatchImages is { } max ? Math.Max(1, max) : null;
        _batchWindow = options.BatchWindow;
        _logger = logger;
        foreach (var entry in catalog.Models) _status[entry.Id] = new ModelStatus(entry, ModelState.NotLoaded);
        _worker = new Thread(WorkLoop) { IsBackground = true, Name = "diffusion-worker" };
        _worker.Start();
    }

    public ModelCatalog Catalog { get; }

    /// <summary>The catalog's models in catalog order, with their load state.</summary>
    public IReadOnlyList<ModelStatus> Models => Catalog.Models.Select(m => _status[m.Id]).ToList();

    /// <summary>True once every catalog model has finished loading, successfully or not, and at least one serves.</summary>
    public bool IsReady => Models.All(m => m.State is ModelState.Ready or ModelState.Failed) && Models.Any(m => m.State == ModelState.Ready);

    /// <summary>Runs, images, and the time spent inside ONNX Runtime and running at all, since the engine started.</summary>
    public EngineStatistics Statistics
    {
        get { lock (_lock) return _statistics; }
    }

    /// <summary>Where the sessions run: <c>cpu</c>, or <c>cuda</c> once a session got the CUDA provider.</summary>
    public string ExecutionProvider => _sessions.ActiveProvider;

    /// <summary>Generations waiting, not counting the one running.</summary>
    public int QueueLength
    {
        get { lock (_lock) return _queue.Count; }
    }

    /// <summary>Reads the catalog; models load later, through <see cref="LoadAll"/> or <see cref="Load"/>.</summary>
    public static DiffusionEngine Create(EngineOptions options, ILoggerFactory? loggerFactory = null)
    {
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        var catalog = ModelCatalog.Load(options.ModelsDirectory);
        var sessions = new OnnxSessionFactory(options.Onnx, factory.CreateLogger<OnnxSessionFactory>());
        return new DiffusionEngine(catalog, sessions, options, factory.CreateLogger<DiffusionEngine>());
    }

    /// <summary>Loads every catalog model; a model that fails is logged and marked failed, the others still serve.</summary>
    public void LoadAll()
    {
        foreach (var entry in Catalog.Models)
        {
            try
            {
                Load(entry.Id);
            }
            catch (ModelLoadException)
            {
                // Recorded in the model's status and logged by Load; the other models still load.
            }
        }
    }

    /// <summary>Loads one model (once); throws <see cref="ModelLoadException"/> with the reason when it cannot.</summary>
    public void Load(string modelId)
    {
        if (!Catalog.TryGet(modelId, out var entry))
            throw new UnknownModelException(modelId, Catalog.Models.Select(m => m.Id));
        if (_loaded.ContainsKey(modelId)) return;
        _status[modelId] = new ModelStatus(entry, ModelState.Loading);
        try
        {
            var started = Stopwatch.GetTimestamp();
            _loaded[modelId] = StableDiffusionModel.Load(entry, _sessions);
            _status[modelId] = new ModelStatus(entry, ModelState.Ready);
            _logger.LogInformation("Loaded model {Model} ({Family}) in {Seconds:0.00} s",
                modelId, entry.Family.ToName(), Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (ModelLoadException e)
        {
            _status[modelId] = new ModelStatus(entry, ModelState.Failed, e.Message);
            _logger.LogError("Model {Model} cannot be served: {Reason}", modelId, e.Message);
            throw;
        }
    }

    /// <summary>
    /// Queues a generation. The task ends with the images, or with <see cref="UnknownModelException"/>,
    /// <see cref="ModelNotReadyException"/>, <see cref="QueueFullException"/>, <see cref="DeadlineUnreachableException"/>,
    /// <see cref="DeadlineExceededException"/>, <see cref="InvalidGenerationRequestException"/> or
    /// <see cref="OperationCanceledException"/> (the client's token).
    /// </summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        if (!_status.TryGetValue(request.Model, out var status))
            return Task.FromException<GenerationResult>(new UnknownModelException(request.Model, Catalog.Models.Select(m => m.Id)));
        if (status.State != ModelState.Ready)
            return Task.FromException<GenerationResult>(new ModelNotReadyException(request.Model, status.State == ModelState.Failed
                ? $"The model '{request.Model}' failed to load: {status.Error}"
                : $"The model '{request.Model}' is not loaded yet."));
        ResolvedGeneration resolved;
        try
        {
            resolved = RequestValidator.Validate(_loaded[request.Model], request);
        }
        catch (InvalidGenerationRequestException e)
        {
            return Task.FromException<GenerationResult>(e);
        }
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<GenerationResult>(cancellationToken);

        var item = new WorkItem(request, resolved, options, cancellationToken);
        lock (_lock)
        {
            if (_stopping)
                return Task.FromException<GenerationResult>(new ObjectDisposedException(nameof(DiffusionEngine)));
            if (_queue.Count >= _maxQueueLength)
                return Task.FromException<GenerationResult>(new QueueFullException(_maxQueueLength, RetryAfterFullQueue()));
            if (options.Deadline is { } deadline && CheckDeadline(item, deadline) is { } refusal)
                return Task.FromException<GenerationResult>(refusal);
            _queue.Enqueue(item, options.Priority, options.Client);
        }
        item.Arm(OnCancelled);
        _signal.Release();
        return item.Completion.Task;
    }

    /// <summary>1-based place in the queue of the generation started with <paramref name="options"/> (by reference),
    /// or null when it is not waiting.</summary>
    public int? QueuePosition(GenerationOptions options)
    {
        lock (_lock)
        {
            var index = _queue.InDispatchOrder().FindIndex(item => ReferenceEquals(item.Options, options));
            return index < 0 ? null : index + 1;
        }
    }

    private void OnCancelled(WorkItem item)
    {
        bool removed;
        lock (_lock) removed = _queue.Remove(item, item.Options.Priority, item.Options.Client);
        // A running item is completed by the worker when the pipeline stops; a queued one is answered here, at once.
        if (removed)
        {
            item.CompleteCancelled();
            item.Dispose();
        }
    }

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

    /// <summary>Estimated time until a new item at <paramref name="priority"/> starts: the rest of the running one and
    /// every waiting one of the same or higher priority. Null when any of them has no estimate yet.</summary>
    private TimeSpan? WaitAhead(int priority)
    {
        var total = TimeSpan.Zero;
        if (_running.Count > 0)
        {
            var running = TimeSpan.Zero;
            foreach (var item in _running)
            {
                if (Estimate(item) is not { } estimate) return null;
                running += estimate;
            }
            var remaining = running - Stopwatch.GetElapsedTime(_runningSince);
            if (remaining > TimeSpan.Zero) total += remaining;
        }
        foreach (var waiting in _queue.InDispatchOrder())
        {
            if (waiting.Options.Priority < priority) continue;
            if (Estimate(waiting) is not { } estimate) return null;
            total += estimate;
        }
        return total;
    }

    private TimeSpan? Estimate(WorkItem item) =>
        _costs.Estimate(item.Request.Model, CostEstimator.Units(item.Request, DefaultSteps(item.Request.Model)));

    private int DefaultSteps(string model) => Catalog.TryGet(model, out var entry) ? entry.DefaultSteps : 1;

    private TimeSpan RetryAfterFullQueue()
    {
        var next = _queue.InDispatchOrder().FirstOrDefault();
        return Ceiling(next is not null && Estimate(next) is { } estimate ? estimate : TimeSpan.FromSeconds(1));
    }

    private static TimeSpan Ceiling(TimeSpan time) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(time.TotalSeconds)));

    private void WorkLoop()
    {
        while (true)
        {
            _signal.Wait();
            WorkItem? first;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out first))
                {
                    if (_stopping) return;
                    continue;
                }
            }
            if (_batchWindow > TimeSpan.Zero && first.Request.ImageCount < MaxBatchImages) Thread.Sleep(_batchWindow);
            List<WorkItem> batch;
            lock (_lock)
            {
                batch = GatherBatch(first);
                _running = batch;
                _runningSince = Stopwatch.GetTimestamp();
            }
            try
            {
                Execute(batch);
            }
            finally
            {
                lock (_lock) _running = [];
                foreach (var item in batch) item.Dispose();
            }
        }
    }

    /// <summary>The configured batch limit, or the execution provider's default.</summary>
    private int MaxBatchImages => _maxBatchImages ?? (_sessions.ActiveProvider == "cuda" ? 8 : 1);

    /// <summary>The first item and the waiting ones that can share its run: same batch key and priority, in dispatch
    /// order, up to the image limit. Joining never moves a request ahead of a higher-priority one.</summary>
    private List<WorkItem> GatherBatch(WorkItem first)
    {
        var batch = new List<WorkItem> { first };
        var images = first.Request.ImageCount;
        var limit = MaxBatchImages;
        if (images >= limit) return batch;
        foreach (var candidate in _queue.InDispatchOrder())
        {
            if (candidate.Options.Priority != first.Options.Priority || candidate.Resolved.Key != first.Resolved.Key ||
                images + candidate.Request.ImageCount > limit)
                continue;
            _queue.Remove(candidate, candidate.Options.Priority, candidate.Options.Client);
            // Each taken item was counted by one release of the signal; take that count back.
            _signal.Wait(0);
            batch.Add(candidate);
            images += candidate.Request.ImageCount;
            if (images >= limit) break;
        }
        return batch;
    }

    private void Execute(List<WorkItem> batch)
    {
        var members = new List<(WorkItem Item, BatchMember Member)>();
        foreach (var item in batch)
        {
            var member = new BatchMember(item.Request, item.Resolved, item.Options.Progress, item.Cancellation.Token, item.Options.Deadline);
            if (member.ShouldStop)
            {
                item.CompleteCancelled();
                continue;
            }
            item.Options.Started?.Invoke();
            members.Add((item, member));
        }
        if (members.Count == 0) return;

        var model = _loaded[members[0].Item.Request.Model];
        try
        {
            var results = StableDiffusionPipeline.Run(model, members.Select(m => m.Member).ToList());
            var units = members.Sum(m => CostEstimator.Units(m.Item.Request, model.Entry.DefaultSteps));
            if (results.FirstOrDefault(r => r is not null) is { } any)
            {
                _costs.Observe(model.Entry.Id, units, any.Timings.Total);
                lock (_lock)
                    _statistics = new EngineStatistics(_statistics.Runs + 1, _statistics.Images + results.Sum(r => r?.Images.Count ?? 0),
                        _statistics.InsideOnnx + any.Timings.InsideOnnx, _statistics.Busy + any.Timings.Total);
            }
            for (var i = 0; i < members.Count; i++)
            {
                if (results[i] is { } result && !members[i].Member.ShouldStop) members[i].Item.Completion.TrySetResult(result);
                else members[i].Item.CompleteCancelled();
            }
        }
        catch (OperationCanceledException) when (members.All(m => m.Member.ShouldStop))
        {
            foreach (var (item, _) in members) item.CompleteCancelled();
        }
        catch (Exception e)
        {
            if (e is not InvalidGenerationRequestException)
                _logger.LogError(e, "Generation on model {Model} failed", model.Entry.Id);
            foreach (var (item, _) in members) item.Completion.TrySetException(e);
        }
    }

    public void Dispose()
    {
        List<WorkItem> abandoned;
        lock (_lock)
        {
            if (_stopping) return;
            _stopping = true;
            abandoned = _queue.InDispatchOrder();
            foreach (var item in abandoned) _queue.Remove(item, item.Options.Priority, item.Options.Client);
        }
        foreach (var item in abandoned)
        {
            item.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionEngine), "The engine is shutting down."));
            item.Dispose();
        }
        _signal.Release();
        _worker.Join();
        foreach (var model in _loaded.Values) model.Dispose();
        _loaded.Clear();
        _signal.Dispose();
    }
}
