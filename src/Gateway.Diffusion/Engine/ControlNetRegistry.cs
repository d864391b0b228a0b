using System.Collections.Concurrent;
using System.IO.Hashing;
using Gateway.Diffusion.Control;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Gateway.Diffusion.Engine;

/// <summary>The catalog's ControlNets and the annotators their preprocessors need: loaded once (a failure is logged and
/// recorded, the others serve), and resolved per request.</summary>
internal sealed class ControlNetRegistry(ModelCatalog catalog, OnnxSessionFactory sessions, ILogger logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, ControlNetModel> _nets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Annotator> _annotators = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _failures = new(StringComparer.Ordinal);

    /// <summary>Why a ControlNet failed to load, by id.</summary>
    public IReadOnlyDictionary<string, string> Failures => _failures;

    public bool IsReady(string id) => _nets.ContainsKey(id);

    /// <summary>Loads every ControlNet that a catalog model can use, and the annotators they name.</summary>
    public void LoadAll()
    {
        foreach (var entry in catalog.ControlNets)
        {
            if (_nets.ContainsKey(entry.Id) || !catalog.Models.Any(m => m.ControlNet is not null && entry.AppliesToFamily(m.Family))) continue;
            try
            {
                if (catalog.Annotators.FirstOrDefault(a => a.Id == entry.Preprocessor) is { } annotator) LoadAnnotator(annotator);
                var path = Path.Combine(entry.Directory, OnnxModelFile.FileName);
                var file = OnnxModelFile.OpenFile(sessions, path, $"{Path.GetFileName(entry.Directory)}/{OnnxModelFile.FileName}",
                    role: SessionRole.StepAdapter);
                try
                {
                    _nets[entry.Id] = new ControlNetModel(entry, file);
                }
                catch
                {
                    file.Dispose();
                    throw;
                }
                logger.LogInformation("Loaded ControlNet {ControlNet} ({Family}, preprocessor {Preprocessor})", entry.Id, entry.Family, entry.Preprocessor);
            }
            catch (ModelLoadException e)
            {
                _failures[entry.Id] = e.Message;
                logger.LogError("ControlNet {ControlNet} cannot be served: {Reason}", entry.Id, e.Message);
            }
        }
    }

    private void LoadAnnotator(AnnotatorCatalogEntry entry)
    {
        if (_annotators.ContainsKey(entry.Id)) return;
        var file = OnnxModelFile.OpenFile(sessions, entry.File, $"annotators/{Path.GetFileName(entry.File)}");
        try
        {
            _annotators[entry.Id] = new Annotator(entry, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The request's ControlNet for <paramref name="model"/>, or null when it asks for none.</summary>
    /// <exception cref="InvalidGenerationRequestException">Unknown name, a ControlNet of another family, a model without a
    /// ControlNet UNet, or settings out of range; the param names the field.</exception>
    public ControlPlan? Resolve(LoadedModel model, GenerationRequest request)
    {
        if (request.ControlNet is not { } control) return null;
        var entry = model.Entry;
        if (model.ControlNetUNet is null)
            throw new InvalidGenerationRequestException("controlnet",
                $"Model '{entry.Id}' ({entry.Family.ToName()}) has no ControlNet UNet (models.json names no 'controlnet' for it), so it cannot run a ControlNet.",
                InvalidGenerationRequestException.UnsupportedParameter);
        var net = Find(control.Name, entry);
        if (!_nets.TryGetValue(net.Id, out var loaded))
            throw new ModelNotReadyException(net.Id, _failures.TryGetValue(net.Id, out var reason)
                ? $"The ControlNet '{net.Id}' failed to load: {reason}"
                : $"The ControlNet '{net.Id}' is not loaded.");
        if (loaded.Misfit(model.ControlNetUNet) is { } misfit)
            throw new InvalidGenerationRequestException("controlnet", $"ControlNet '{net.Id}' does not fit model '{entry.Id}': {misfit}");
        var scale = control.Scale ?? net.DefaultScale;
        if (!double.IsFinite(scale) || scale is < CatalogControlNets.MinScale or > CatalogControlNets.MaxScale)
            throw new InvalidGenerationRequestException("controlnet_scale",
                $"The ControlNet conditioning scale must be {CatalogControlNets.MinScale}..{CatalogControlNets.MaxScale}; got {scale}.");
        if (!double.IsFinite(control.GuidanceStart) || !double.IsFinite(control.GuidanceEnd) ||
            control.GuidanceStart is < 0 or > 1 || control.GuidanceEnd is < 0 or > 1)
            throw new InvalidGenerationRequestException(control.GuidanceStart is >= 0 and <= 1 ? "control_guidance_end" : "control_guidance_start",
                "control_guidance_start and control_guidance_end are fractions of the schedule, 0..1.");
        if (control.GuidanceStart >= control.GuidanceEnd)
            throw new InvalidGenerationRequestException("control_guidance_start",
                $"control_guidance_start ({control.GuidanceStart}) must be below control_guidance_end ({control.GuidanceEnd}).");
        if (control.CannyLow is < 0 or > 1000 || control.CannyHigh is < 0 or > 1000 || control.CannyLow > control.CannyHigh)
            throw new InvalidGenerationRequestException(control.CannyLow is < 0 or > 1000 ? "controlnet_canny_low" : "controlnet_canny_high",
                $"The canny thresholds must be 0..1000 with low ≤ high; got {control.CannyLow} and {control.CannyHigh}.");
        Annotator? annotator = null;
        if (control.Preprocess && net.Preprocessor is not (CatalogControlNets.Canny or CatalogControlNets.NoPreprocessor) &&
            !_annotators.TryGetValue(net.Preprocessor, out annotator))
            throw new ModelNotReadyException(net.Id, $"The annotator '{net.Preprocessor}' of ControlNet '{net.Id}' is not loaded.");
        var canny = control.Preprocess && net.Preprocessor == CatalogControlNets.Canny ? $"{control.CannyLow}-{control.CannyHigh}" : "";
        var key = $"{net.Id}|{scale:R}|{control.GuidanceStart:R}-{control.GuidanceEnd:R}|{control.Preprocess}|{canny}|" +
                  $"{control.Image.Width}x{control.Image.Height}:{Convert.ToHexString(XxHash128.Hash(control.Image.Rgba))}";
        return new ControlPlan(loaded, control, scale, annotator, key);
    }

    /// <summary>A ControlNet by catalog id, or by control type (<c>canny</c>, <c>depth</c>…: its preprocessor) among the
    /// ControlNets of the model's family.</summary>
    private ControlNetCatalogEntry Find(string name, ModelCatalogEntry model)
    {
        var forModel = catalog.ControlNets.Where(c => c.AppliesToFamily(model.Family)).ToList();
        var byId = catalog.ControlNets.FirstOrDefault(c => c.Id == name);
        if (byId is not null && !byId.AppliesToFamily(model.Family))
            throw new InvalidGenerationRequestException("controlnet",
                $"ControlNet '{name}' is a {byId.Family} ControlNet; model '{model.Id}' is {model.Family.ToName()}. " +
                $"ControlNets for it: {string.Join(", ", forModel.Select(c => c.Id))}.");
        return byId ?? forModel.FirstOrDefault(c => c.Preprocessor == name.ToLowerInvariant())
            ?? throw new InvalidGenerationRequestException("controlnet",
                $"Unknown ControlNet '{name}'. ControlNets for model '{model.Id}': " +
                $"{string.Join(", ", forModel.Select(c => $"{c.Id} ({c.Preprocessor})"))}.");
    }

    public void Dispose()
    {
        foreach (var net in _nets.Values) net.Dispose();
        foreach (var annotator in _annotators.Values) annotator.Dispose();
        _nets.Clear();
        _annotators.Clear();
    }
}
