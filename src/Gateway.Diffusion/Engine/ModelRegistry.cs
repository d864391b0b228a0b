using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Gateway.Diffusion.Engine;

/// <summary>The catalog's models, their load state, and the loaded ones. Loading happens once per model; a model
/// that fails is recorded with its reason and the others still serve.</summary>
internal sealed class ModelRegistry(ModelCatalog catalog, OnnxSessionFactory sessions, ILogger logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, ModelStatus> _status =
        new(catalog.Models.ToDictionary(m => m.Id, m => new ModelStatus(m, ModelState.NotLoaded)), StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LoadedModel> _loaded = new(StringComparer.Ordinal);

    public ModelCatalog Catalog { get; } = catalog;

    /// <summary>The catalog's models in catalog order, with their load state.</summary>
    public IReadOnlyList<ModelStatus> Models => Catalog.Models.Select(m => _status[m.Id]).ToList();

    public void Load(string modelId)
    {
        if (!Catalog.TryGet(modelId, out var entry))
            throw new UnknownModelException(modelId, Catalog.Models.Select(m => m.Id));
        if (_loaded.ContainsKey(modelId)) return;
        _status[modelId] = new ModelStatus(entry, ModelState.Loading);
        try
        {
            var started = Stopwatch.GetTimestamp();
            if (entry.Composite is { } composite)
            {
                // Served by the base model's sessions; its LoRA is applied per request (LoraVariants).
                Load(composite.Base);
                _loaded[modelId] = _loaded[composite.Base].ViewAs(entry);
            }
            else
            {
                _loaded[modelId] = ModelLoader.Load(entry, sessions);
            }
            _status[modelId] = new ModelStatus(entry, ModelState.Ready);
            logger.LogInformation("Loaded model {Model} ({Family}) in {Seconds:0.00} s",
                modelId, entry.Family.ToName(), Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (ModelLoadException e)
        {
            _status[modelId] = new ModelStatus(entry, ModelState.Failed, e.Message);
            logger.LogError("Model {Model} cannot be served: {Reason}", modelId, e.Message);
            throw;
        }
    }

    /// <summary>The loaded model <paramref name="modelId"/>.</summary>
    /// <exception cref="UnknownModelException">The catalog does not list it.</exception>
    /// <exception cref="ModelNotReadyException">It is still loading, or failed to load.</exception>
    public LoadedModel Ready(string modelId)
    {
        if (!_status.TryGetValue(modelId, out var status))
            throw new UnknownModelException(modelId, Catalog.Models.Select(m => m.Id));
        if (status.State != ModelState.Ready)
            throw new ModelNotReadyException(modelId, status.State == ModelState.Failed
                ? $"The model '{modelId}' failed to load: {status.Error}"
                : $"The model '{modelId}' is not loaded yet.");
        return _loaded[modelId];
    }

    /// <summary>The refiner a request asks for, or null when it asks for none.</summary>
    /// <exception cref="Pipelines.InvalidGenerationRequestException">The model has no refiner.</exception>
    public LoadedModel? RefinerFor(LoadedModel model, GenerationRequest request)
    {
        if (!request.UseRefiner) return null;
        if (model.Entry.Refiner is not { } refiner)
            throw new InvalidGenerationRequestException("refiner",
                $"A refiner was asked for, but model '{model.Entry.Id}' ({model.Entry.Family.ToName()}) has no refiner " +
                "(models.json names none for it).", InvalidGenerationRequestException.UnsupportedParameter);
        return Ready(refiner);
    }

    /// <summary>The loaded SD-inpaint model that runs a masked request for <paramref name="model"/> (models.json
    /// <c>inpainting_for</c>), or null: no mask, LoRAs (merged into the model's own UNet only), no such model, or it is not
    /// ready, in which cases the model itself inpaints by masked image-to-image.</summary>
    public LoadedModel? InpaintingFor(LoadedModel model, GenerationRequest request)
    {
        if (request.InitImage?.Mask is null || request.Loras is { Count: > 0 } || model.UNet.TakesInpaintInputs) return null;
        if (Catalog.InpaintingModelFor(model.Entry.Id) is not { } entry) return null;
        return _status[entry.Id].State == ModelState.Ready ? _loaded[entry.Id] : null;
    }

    public void Dispose()
    {
        foreach (var model in _loaded.Values) model.Dispose();
        _loaded.Clear();
    }
}
