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
    private readonly ConcurrentDictionary<string, ModelStatus> _status = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StableDiffusionModel> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly FairPriorityQueue<WorkItem> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CostEstimator _costs = new();
    private readonly Thread _worker;
    private WorkItem? _running;
    private long _runningSince;
    private bool _stopping;

    private DiffusionEngine(ModelCatalog catalog, OnnxSessionFactory sessions, int maxQueueLength, ILogger logger)
    {
        Catalog = catalog;
        _sessions = sessions;
        _maxQueueLength = maxQueueLength;
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
        return new DiffusionEngine(catalog, sessions, Math.Max(0, options.MaxQueueLength), factory.CreateLogger<DiffusionEngine>());
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
        try
        {
            StableDiffusionPipeline.Validate(_loaded[request.Model], request);
        }
        catch (InvalidGenerationRequestException e)
        {
            return Task.FromException<GenerationResult>(e);
        }
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<GenerationResult>(cancellationToken);

        var item = new WorkItem(request, options, cancellationToken);
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
        if (_running is { } running)
        {
            if (Estimate(running) is not { } estimate) return null;
            var remaining = estimate - Stopwatch.GetElapsedTime(_runningSince);
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
            WorkItem? item;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out item))
                {
                    if (_stopping) return;
                    continue;
                }
                _running = item;
                _runningSince = Stopwatch.GetTimestamp();
            }
            try
            {
                Execute(item);
            }
            finally
            {
                lock (_lock) _running = null;
                item.Dispose();
            }
        }
    }

    private void Execute(WorkItem item)
    {
        var token = item.Cancellation.Token;
        if (token.IsCancellationRequested)
        {
            item.CompleteCancelled();
            return;
        }
        try
        {
            item.Options.Started?.Invoke();
            var model = _loaded[item.Request.Model];
            var result = StableDiffusionPipeline.Run(model, item.Request, item.Options.Progress, token);
            _costs.Observe(item.Request.Model, CostEstimator.Units(item.Request, model.Entry.DefaultSteps), result.Timings.Total);
            item.Completion.TrySetResult(result);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            item.CompleteCancelled();
        }
        catch (Exception e)
        {
            if (e is not InvalidGenerationRequestException)
                _logger.LogError(e, "Generation on model {Model} failed", item.Request.Model);
            item.Completion.TrySetException(e);
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
