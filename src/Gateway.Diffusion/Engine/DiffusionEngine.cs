using System.Collections.Concurrent;
using System.Threading.Channels;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The only owner of ONNX Runtime sessions. Loads the catalog's models and runs generations one at a time on a
/// dedicated worker thread (one execution device, whose cores ONNX Runtime already uses in parallel).
/// </summary>
public sealed class DiffusionEngine : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ModelStatus> _status = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StableDiffusionModel> _loaded = new(StringComparer.Ordinal);
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _worker;

    private DiffusionEngine(ModelCatalog catalog, OnnxSessionFactory sessions, ILogger logger)
    {
        Catalog = catalog;
        _sessions = sessions;
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

    /// <summary>Reads the catalog; models load later, through <see cref="LoadAll"/> or <see cref="Load"/>.</summary>
    public static DiffusionEngine Create(EngineOptions options, ILoggerFactory? loggerFactory = null)
    {
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        var catalog = ModelCatalog.Load(options.ModelsDirectory);
        var sessions = new OnnxSessionFactory(options.Onnx, factory.CreateLogger<OnnxSessionFactory>());
        return new DiffusionEngine(catalog, sessions, factory.CreateLogger<DiffusionEngine>());
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
                // Already recorded in the model's status and logged by Load.
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
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            _loaded[modelId] = StableDiffusionModel.Load(entry, _sessions);
            _status[modelId] = new ModelStatus(entry, ModelState.Ready);
            _logger.LogInformation("Loaded model {Model} ({Family}) in {Seconds:0.00} s",
                modelId, entry.Family.ToName(), System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (ModelLoadException e)
        {
            _status[modelId] = new ModelStatus(entry, ModelState.Failed, e.Message);
            _logger.LogError("Model {Model} cannot be served: {Reason}", modelId, e.Message);
            throw;
        }
    }

    /// <summary>Queues a generation; the task ends with the images, or with
    /// <see cref="UnknownModelException"/>, <see cref="ModelNotReadyException"/>,
    /// <see cref="InvalidGenerationRequestException"/> or <see cref="OperationCanceledException"/>.</summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, Action<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (!_status.TryGetValue(request.Model, out var status))
            return Task.FromException<GenerationResult>(new UnknownModelException(request.Model, Catalog.Models.Select(m => m.Id)));
        if (status.State != ModelState.Ready)
            return Task.FromException<GenerationResult>(new ModelNotReadyException(request.Model, status.State == ModelState.Failed
                ? $"The model '{request.Model}' failed to load: {status.Error}"
                : $"The model '{request.Model}' is not loaded yet."));

        var item = new WorkItem(request, progress, cancellationToken);
        // A client that gives up while queued hears back at once; the worker skips the item when it comes to it.
        item.Registration = cancellationToken.Register(static state =>
        {
            var queued = (WorkItem)state!;
            queued.Completion.TrySetCanceled(queued.CancellationToken);
        }, item);
        if (!_queue.Writer.TryWrite(item))
            return Task.FromException<GenerationResult>(new ObjectDisposedException(nameof(DiffusionEngine)));
        return item.Completion.Task;
    }

    private void WorkLoop()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
                Execute(item);
        }
    }

    private void Execute(WorkItem item)
    {
        using var registration = item.Registration;
        if (item.CancellationToken.IsCancellationRequested)
        {
            item.Completion.TrySetCanceled(item.CancellationToken);
            return;
        }
        try
        {
            var model = _loaded[item.Request.Model];
            var result = StableDiffusionPipeline.Run(model, item.Request, item.Progress, item.CancellationToken);
            item.Completion.TrySetResult(result);
        }
        catch (OperationCanceledException) when (item.CancellationToken.IsCancellationRequested)
        {
            item.Completion.TrySetCanceled(item.CancellationToken);
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
        _queue.Writer.TryComplete();
        _worker.Join();
        foreach (var model in _loaded.Values) model.Dispose();
        _loaded.Clear();
    }

    private sealed record WorkItem(GenerationRequest Request, Action<GenerationProgress>? Progress, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
