using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Prompts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The engine's front door, and the only owner of ONNX Runtime sessions: a model registry, admission to a bounded
/// queue (priority order, fair between clients, deadlines, cancellation) and one worker that runs what waits.
/// </summary>
public sealed class DiffusionEngine : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly ModelRegistry _models;
    private readonly GenerationQueue _queue = new();
    private readonly Admission _admission;
    private readonly GenerationWorker _worker;
    private readonly LoraVariants _loraVariants;
    private readonly int? _maxBatchImages;
    private readonly long _maxPixelsPerRequest;
    private bool _disposed;

    private DiffusionEngine(ModelCatalog catalog, OnnxSessionFactory sessions, EngineOptions options, ILoggerFactory loggers)
    {
        _sessions = sessions;
        _maxBatchImages = options.MaxBatchImages is { } max ? Math.Max(1, max) : null;
        _maxPixelsPerRequest = Math.Max(64 * 64, options.MaxPixelsPerRequest);
        _models = new ModelRegistry(catalog, sessions, loggers.CreateLogger<DiffusionEngine>());
        _admission = new Admission(catalog, _queue, Math.Max(0, options.MaxQueueLength));
        _loraVariants = new LoraVariants(sessions, options.MaxLoraVariants, loggers.CreateLogger<DiffusionEngine>());
        _worker = new GenerationWorker(_queue, _models, _admission, () => MaxBatchImages, options.BatchWindow,
            _loraVariants, loggers.CreateLogger<DiffusionEngine>());
    }

    public ModelCatalog Catalog => _models.Catalog;

    /// <summary>The catalog's models in catalog order, with their load state.</summary>
    public IReadOnlyList<ModelStatus> Models => _models.Models;

    /// <summary>True once every catalog model has finished loading, successfully or not, and at least one serves.</summary>
    public bool IsReady => Models.All(m => m.State is ModelState.Ready or ModelState.Failed) && Models.Any(m => m.State == ModelState.Ready);

    /// <summary>Runs, images, and the time spent inside ONNX Runtime and running at all, since the engine started.</summary>
    public EngineStatistics Statistics => _worker.Statistics;

    /// <summary>Where the sessions run: <c>cpu</c>, or <c>cuda</c> once a session got the CUDA provider.</summary>
    public string ExecutionProvider => _sessions.ActiveProvider;

    /// <summary>Generations waiting, not counting the one running.</summary>
    public int QueueLength
    {
        get { lock (_queue.Lock) return _queue.Count; }
    }

    /// <summary>Reads the catalog; models load later, through <see cref="LoadAll"/> or <see cref="Load"/>.</summary>
    public static DiffusionEngine Create(EngineOptions options, ILoggerFactory? loggerFactory = null)
    {
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        var catalog = ModelCatalog.Load(options.ModelsDirectory);
        var sessions = new OnnxSessionFactory(options.Onnx, factory.CreateLogger<OnnxSessionFactory>());
        return new DiffusionEngine(catalog, sessions, options, factory);
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
    public void Load(string modelId) => _models.Load(modelId);

    /// <summary>
    /// Queues a generation. The task ends with the images, or with <see cref="UnknownModelException"/>,
    /// <see cref="ModelNotReadyException"/>, <see cref="QueueFullException"/>, <see cref="DeadlineUnreachableException"/>,
    /// <see cref="DeadlineExceededException"/>, <see cref="InvalidGenerationRequestException"/>,
    /// <see cref="ModelOutputException"/> or <see cref="OperationCanceledException"/> (the client's token).
    /// </summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, GenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        GenerateAsync(request, options, feed: null, cancellationToken);

    /// <summary>As <see cref="GenerateAsync(GenerationRequest, GenerationOptions?, CancellationToken)"/>, publishing the
    /// generation's queue positions, start and steps to <paramref name="feed"/>; the caller publishes the end.</summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, GenerationOptions? options, GenerationFeed? feed,
        CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        ResolvedGeneration resolved;
        try
        {
            var model = _models.Ready(request.Model);
            if (_models.InpaintingFor(model, request) is { } inpainting)
            {
                model = inpainting;
                request = request with { Model = inpainting.Entry.Id };
            }
            // A composite model's trigger words belong to its LoRA, whichever dialect asked.
            if (model.Entry.Composite is not null && !string.IsNullOrWhiteSpace(request.Prompt))
                request = request with { Prompt = TriggerWords.Prepend(request.Prompt, model.Entry.Autofill) };
            var loras = LoraSets.Resolve(Catalog, model.Entry, request.Loras);
            resolved = RequestValidator.Validate(model, request, _models.RefinerFor(model, request), loras);
            CheckPixelBudget(request);
        }
        catch (Exception e) when (e is UnknownModelException or ModelNotReadyException or InvalidGenerationRequestException)
        {
            return Task.FromException<GenerationResult>(e);
        }
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<GenerationResult>(cancellationToken);

        var item = new WorkItem(request, resolved, options, feed, cancellationToken);
        if (_admission.TryEnqueue(item) is { } refusal)
        {
            item.Dispose();
            return Task.FromException<GenerationResult>(refusal);
        }
        item.Arm(OnCancelled);
        return item.Completion.Task;
    }

    /// <summary>1-based place in the queue of the generation started with <paramref name="options"/> (by reference),
    /// or null when it is not waiting.</summary>
    public int? QueuePosition(GenerationOptions options) => QueueStanding(options)?.Position;

    /// <summary>Place in the queue and estimated wait until it starts (null before the models ahead have run once) of
    /// the generation started with <paramref name="options"/> (by reference); null when it is not waiting.</summary>
    public QueueStanding? QueueStanding(GenerationOptions options) => _admission.Standing(options);

    private void CheckPixelBudget(GenerationRequest request)
    {
        var pixels = (long)request.Width * request.Height * request.ImageCount;
        if (pixels <= _maxPixelsPerRequest) return;
        throw new InvalidGenerationRequestException(request.ImageCount > 1 ? "n" : "width",
            $"{request.ImageCount} image(s) of {request.Width}x{request.Height} are {pixels:N0} pixels; this server renders at most " +
            $"{_maxPixelsPerRequest:N0} per request (Gateway:MaxPixelsPerRequest). Ask for fewer or smaller images.");
    }

    /// <summary>The configured batch limit, or the execution provider's default.</summary>
    private int MaxBatchImages => _maxBatchImages ?? (_sessions.ActiveProvider == "cuda" ? 8 : 1);

    private void OnCancelled(WorkItem item)
    {
        // A running item is completed by the worker when the pipeline stops; a queued one is answered here, at once.
        if (_queue.Remove(item))
        {
            _admission.AnnouncePositions();
            item.CompleteCancelled();
            item.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var item in _queue.Close())
        {
            item.Completion.TrySetException(new ObjectDisposedException(nameof(DiffusionEngine), "The engine is shutting down."));
            item.Dispose();
        }
        _worker.Join();
        _loraVariants.Dispose();
        _models.Dispose();
        _queue.Dispose();
    }
}
