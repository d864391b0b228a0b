using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Pipelines.Vae;
using Gateway.Diffusion.Prompts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The engine's front door, and the only owner of ONNX Runtime sessions: a model registry, admission to a bounded
/// queue (priority order, fair between clients, deadlines, cancellation) and one worker that runs what waits.
/// </summary>
public sealed class DiffusionEngine : IGenerationService, IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly ModelRegistry _models;
    private readonly GenerationQueue _queue = new();
    private readonly Admission _admission;
    private readonly GenerationWorker _worker;
    private readonly LoraVariants _loraVariants;
    private readonly ControlNetRegistry _controlNets;
    private readonly int? _maxBatchImages;
    private readonly long _maxPixelsPerRequest;
    private readonly IReadOnlySet<string>? _loadModels;
    private bool _disposed;
    private volatile bool _loadingAll;

    private DiffusionEngine(ModelCatalog catalog, OnnxSessionFactory sessions, EngineOptions options, ILoggerFactory loggers)
    {
        _sessions = sessions;
        _maxBatchImages = options.MaxBatchImages is { } max ? Math.Max(1, max) : null;
        _maxPixelsPerRequest = Math.Max(64 * 64, options.MaxPixelsPerRequest);
        _loadModels = options.LoadModels;
        _models = new ModelRegistry(catalog, sessions, loggers.CreateLogger<DiffusionEngine>());
        _admission = new Admission(catalog, _queue, Math.Max(0, options.MaxQueueLength));
        _loraVariants = new LoraVariants(sessions, options.MaxLoraVariants, loggers.CreateLogger<DiffusionEngine>());
        _controlNets = new ControlNetRegistry(catalog, sessions, loggers.CreateLogger<DiffusionEngine>());
        var tiling = options.VaeTileSize is { } tileSize ? new VaeTiling(tileSize) : null;
        _worker = new GenerationWorker(_queue, _models, _admission, () => MaxBatchImages, options.BatchWindow,
            _loraVariants, tiling, loggers.CreateLogger<DiffusionEngine>());
    }

    public ModelCatalog Catalog => _models.Catalog;

    /// <summary>The catalog's models in catalog order, with their load state.</summary>
    public IReadOnlyList<ModelStatus> Models => _models.Models;

    /// <summary>True once every model this engine loads (and, under <see cref="LoadAll"/>, every ControlNet) has finished
    /// loading, successfully or not, and at least one model serves; an engine told to load none is ready at once.</summary>
    public bool IsReady
    {
        get
        {
            if (_loadingAll) return false;
            var selected = Models.Where(m => Selected(m.Entry.Id)).ToList();
            return selected.All(m => m.State is ModelState.Ready or ModelState.Failed) &&
                   (selected.Count == 0 || selected.Any(m => m.State == ModelState.Ready));
        }
    }

    /// <summary>The ids of the models that serve now.</summary>
    public IReadOnlyList<string> ReadyModels => Models.Where(m => m.State == ModelState.Ready).Select(m => m.Entry.Id).ToList();

    /// <summary>Most images one run denoises together: the configured limit, or the execution provider's default.</summary>
    public int BatchLimit => MaxBatchImages;

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
        return new DiffusionEngine(ModelCatalog.Load(options.ModelsDirectory),
            new OnnxSessionFactory(options.Onnx, factory.CreateLogger<OnnxSessionFactory>()), options, factory);
    }

    /// <summary>An engine whose denoisers and ControlNets bind their tensors in <paramref name="stepMemory"/>, whatever
    /// the provider (a stand-in for device memory).</summary>
    internal static DiffusionEngine Create(EngineOptions options, IDeviceMemory stepMemory, ILoggerFactory? loggerFactory = null)
    {
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        return new DiffusionEngine(ModelCatalog.Load(options.ModelsDirectory),
            new OnnxSessionFactory(options.Onnx, factory.CreateLogger<OnnxSessionFactory>(), stepMemory), options, factory);
    }

    /// <summary>Whether the catalog's ControlNet <paramref name="id"/> loaded, and why not when it failed.</summary>
    public (bool Ready, string? Error) ControlNetState(string id) =>
        (_controlNets.IsReady(id), _controlNets.Failures.TryGetValue(id, out var error) ? error : null);

    /// <summary>Loads every catalog model (those of <see cref="EngineOptions.LoadModels"/> when it is set), then the
    /// ControlNets they can use; one that fails is logged and marked failed, the others still serve.</summary>
    public void LoadAll()
    {
        _loadingAll = true;
        try
        {
            LoadModelsAndControlNets();
        }
        finally
        {
            _loadingAll = false;
        }
    }

    private void LoadModelsAndControlNets()
    {
        foreach (var entry in Catalog.Models)
        {
            if (!Selected(entry.Id)) continue;
            try
            {
                Load(entry.Id);
            }
            catch (ModelLoadException)
            {
                // Recorded in the model's status and logged by Load; the other models still load.
            }
        }
        LoadControlNets();
    }

    /// <summary>Whether <see cref="LoadAll"/> loads <paramref name="id"/>: it is listed, or a listed model names it as
    /// its refiner or its SD-inpaint export, or it is the base of a listed composite.</summary>
    private bool Selected(string id)
    {
        if (_loadModels is null || _loadModels.Contains(id)) return true;
        return Catalog.Models.Any(m => _loadModels.Contains(m.Id) &&
                                       (m.Refiner == id || m.Composite?.Base == id || Catalog.InpaintingModelFor(m.Id)?.Id == id));
    }

    /// <summary>Loads the catalog's ControlNets (those some catalog model can use) and their annotators; one that fails is
    /// logged and marked failed (<see cref="ControlNetState"/>).</summary>
    public void LoadControlNets() => _controlNets.LoadAll();

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
            (request, resolved) = Resolve(request);
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

    /// <summary>Checks <paramref name="request"/> as <see cref="GenerateAsync(GenerationRequest, GenerationOptions?, CancellationToken)"/>
    /// would before queueing it, and throws what it would: <see cref="UnknownModelException"/>,
    /// <see cref="ModelNotReadyException"/> or <see cref="InvalidGenerationRequestException"/>.</summary>
    public void Validate(GenerationRequest request) => Resolve(request);

    /// <summary>The request as it runs (on the SD-inpaint export, with a composite's trigger words) and what it resolved to.</summary>
    private (GenerationRequest Request, ResolvedGeneration Resolved) Resolve(GenerationRequest request)
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
        var control = _controlNets.Resolve(model, request);
        var resolved = RequestValidator.Validate(model, request, _models.RefinerFor(model, request), loras, control);
        CheckPixelBudget(request);
        return (request, resolved);
    }

    /// <summary>The cost units of <paramref name="request"/> (steps × megapixels × images), as the queue's estimates count work.</summary>
    public double CostUnits(GenerationRequest request) => _admission.Units(request);

    /// <summary>What each model's runs cost on this engine, as learned from its runs so far.</summary>
    public IReadOnlyDictionary<string, RunCost> RunCosts => _admission.Costs();

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
        // The models' UNet steppers hold the ControlNets' bindings, so they go first.
        _models.Dispose();
        _controlNets.Dispose();
        _queue.Dispose();
    }
}
