using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Models;

/// <summary>The served models, read from <c>models.json</c> in the models directory.</summary>
public sealed class ModelCatalog
{
    public const string FileName = "models.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly Dictionary<string, ModelCatalogEntry> _byId;

    private readonly Dictionary<string, LoraCatalogEntry> _lorasById;

    private ModelCatalog(IReadOnlyList<ModelCatalogEntry> models, IReadOnlyList<LoraCatalogEntry> loras)
    {
        Models = models;
        Loras = loras;
        _byId = models.ToDictionary(m => m.Id, StringComparer.Ordinal);
        _lorasById = loras.ToDictionary(l => l.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<ModelCatalogEntry> Models { get; }

    public bool TryGet(string id, out ModelCatalogEntry entry) => _byId.TryGetValue(id, out entry!);

    /// <summary>The SD-inpaint model whose <c>inpainting_for</c> names <paramref name="id"/>, or null (the first one listed).</summary>
    public ModelCatalogEntry? InpaintingModelFor(string id) => Models.FirstOrDefault(m => m.InpaintingFor == id);

    /// <summary>The LoRAs of models.json's <c>loras</c>, in file order.</summary>
    public IReadOnlyList<LoraCatalogEntry> Loras { get; }

    public bool TryGetLora(string id, out LoraCatalogEntry lora) => _lorasById.TryGetValue(id, out lora!);

    public static ModelCatalog Load(string modelsDirectory)
    {
        var directory = System.IO.Path.GetFullPath(modelsDirectory);
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new ModelLoadException($"No model catalog: {path} does not exist. Set Gateway:ModelsDir to a folder with a {FileName}.");
        return Parse(File.ReadAllText(path), directory, path);
    }

    public static ModelCatalog Parse(string json, string modelsDirectory, string sourceName)
    {
        CatalogFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CatalogFile>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{sourceName}: {e.Message}", e);
        }
        if (file?.Models is not { } models)
            throw new ModelLoadException($"{sourceName}: expected an object with a \"models\" array.");

        var entries = new List<ModelCatalogEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            var entry = ToEntry(model, modelsDirectory, sourceName);
            if (!seen.Add(entry.Id))
                throw new ModelLoadException($"{sourceName}: the id '{entry.Id}' is listed twice.");
            entries.Add(entry);
        }
        foreach (var entry in entries) CheckRefiner(entry, entries, sourceName);
        foreach (var entry in entries) CheckInpaintingFor(entry, entries, sourceName);
        var loras = CatalogLoras.Read(file.Loras ?? [], modelsDirectory, sourceName);
        for (var i = 0; i < entries.Count; i++) entries[i] = CatalogLoras.ResolveComposite(entries[i], models[i], entries, loras, sourceName);
        return new ModelCatalog(entries, loras);
    }

    private static ModelCatalogEntry ToEntry(CatalogModel model, string modelsDirectory, string sourceName)
    {
        var id = model.Id;
        if (string.IsNullOrWhiteSpace(id) || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/')))
            throw new ModelLoadException($"{sourceName}: model id '{id}' must be non-empty and use only letters, digits, '-', '_', '.', ':' or '/'.");
        string Where(string field) => $"{sourceName}: model '{id}', field '{field}'";

        if (!ModelFamilies.TryParse(model.Family, out var family))
            throw new ModelLoadException($"{Where("family")}: '{model.Family}' is not one of {string.Join(", ", ModelFamilies.Names)}.");
        if (!ImageSize.TryParse(model.NativeSize, out var native))
            throw new ModelLoadException($"{Where("native_size")}: '{model.NativeSize}' is not a WIDTHxHEIGHT size.");
        var extra = new List<ImageSize>();
        foreach (var text in model.Sizes ?? [])
            extra.Add(ImageSize.TryParse(text, out var s) ? s : throw new ModelLoadException($"{Where("sizes")}: '{text}' is not a WIDTHxHEIGHT size."));
        var render = model.Render?.ToLowerInvariant() switch
        {
            null or "native" => RenderMode.NativeArea,
            "exact" => RenderMode.Exact,
            var other => throw new ModelLoadException($"{Where("render")}: '{other}' is not 'exact' or 'native'."),
        };
        if (model.DefaultSteps is < 1 or > 150)
            throw new ModelLoadException($"{Where("default_steps")}: {model.DefaultSteps} is outside 1..150.");
        if (model.DefaultGuidance is < 0 or > 30)
            throw new ModelLoadException($"{Where("default_guidance")}: {model.DefaultGuidance} is outside 0..30.");
        if (!string.IsNullOrEmpty(model.DefaultSampler) && !SchedulerFactory.IsKnown(model.DefaultSampler))
            throw new ModelLoadException($"{Where("default_sampler")}: '{model.DefaultSampler}' is not a known sampler ({string.Join(", ", SchedulerFactory.Names)}).");
        if (!string.IsNullOrEmpty(model.DefaultSampler) && SchedulerFactory.IsFlowMatch(model.DefaultSampler) != family.IsFlux())
            throw new ModelLoadException(family.IsFlux()
                ? $"{Where("default_sampler")}: Flux models take only the flow-matching sampler (Flow Euler), not '{model.DefaultSampler}'."
                : $"{Where("default_sampler")}: '{model.DefaultSampler}' is Flux's flow-matching sampler; {family.ToName()} models predict noise.");
        if (model.CreditMultiplier is < 0)
            throw new ModelLoadException($"{Where("credit_multiplier")}: must not be negative.");
        if (model.HighNoiseFrac is { } fraction && !(fraction > 0 && fraction < 1))
            throw new ModelLoadException($"{Where("high_noise_frac")}: {fraction} is not between 0 and 1 (exclusive).");
        if (model.ClipSkip is { } skip && skip != 0 && !family.IsXl())
            throw new ModelLoadException($"{Where("clip_skip")}: only SDXL-class models take clip_skip (SD 1.x/2.x exports end in the final layer norm).");
        if (model.ClipSkip is < 0 or > 8)
            throw new ModelLoadException($"{Where("clip_skip")}: {model.ClipSkip} is outside 0..8.");
        if (model.AestheticScore is < 0 or > 10 || model.NegativeAestheticScore is < 0 or > 10)
            throw new ModelLoadException($"{Where("aesthetic_score")}: aesthetic scores are 0..10.");
        var spacing = model.TimestepSpacing?.ToLowerInvariant() switch
        {
            null => (TimestepSpacing?)null,
            "leading" => TimestepSpacing.Leading,
            "trailing" => TimestepSpacing.Trailing,
            "linspace" => TimestepSpacing.Linspace,
            var other => throw new ModelLoadException($"{Where("timestep_spacing")}: '{other}' is not leading, trailing or linspace."),
        };
        var provider = model.ExecutionProvider?.ToLowerInvariant();
        if (provider is not (null or "cpu" or "cuda"))
            throw new ModelLoadException($"{Where("execution_provider")}: '{model.ExecutionProvider}' is not cpu or cuda.");
        var maxSide = model.MaxSide ?? Math.Max(2048, Math.Max(native.Width, native.Height));
        if (maxSide < 64)
            throw new ModelLoadException($"{Where("max_side")}: {maxSide} is below 64.");

        return new ModelCatalogEntry
        {
            Id = id,
            Directory = System.IO.Path.GetFullPath(System.IO.Path.Combine(modelsDirectory, model.Folder ?? id)),
            Family = family,
            NativeSize = native,
            ExtraSizes = extra,
            MaxSide = maxSide,
            Render = render,
            DefaultSteps = model.DefaultSteps,
            DefaultGuidance = model.DefaultGuidance,
            DefaultSampler = model.DefaultSampler ?? "",
            CreditMultiplier = model.CreditMultiplier ?? 1.0,
            Autofill = model.Autofill ?? [],
            Recommend = model.Recommend ?? [],
            Description = model.Description ?? "",
            Refiner = string.IsNullOrWhiteSpace(model.Refiner) ? null : model.Refiner,
            InpaintingFor = string.IsNullOrWhiteSpace(model.InpaintingFor) ? null : model.InpaintingFor,
            HighNoiseFraction = model.HighNoiseFrac ?? 0.8,
            ClipSkip = model.ClipSkip ?? 0,
            AestheticScore = model.AestheticScore ?? 6.0,
            NegativeAestheticScore = model.NegativeAestheticScore ?? 2.5,
            TimestepSpacing = spacing,
            ExecutionProvider = provider,
        };
    }

    private static void CheckRefiner(ModelCatalogEntry entry, List<ModelCatalogEntry> entries, string sourceName)
    {
        if (entry.Refiner is not { } refinerId) return;
        var where = $"{sourceName}: model '{entry.Id}', field 'refiner'";
        if (entry.Family.Pipeline() != PipelineKind.StableDiffusionXl)
            throw new ModelLoadException($"{where}: only SDXL base models (sdxl10, sdxl-turbo, ssd-1b) take a refiner; '{entry.Id}' is {entry.Family.ToName()}.");
        var refiner = entries.FirstOrDefault(e => e.Id == refinerId)
            ?? throw new ModelLoadException($"{where}: no model '{refinerId}' in the catalog.");
        if (refiner.Family != ModelFamily.SdxlRefiner)
            throw new ModelLoadException($"{where}: '{refinerId}' is {refiner.Family.ToName()}, not sdxl-refiner.");
    }

    private static void CheckInpaintingFor(ModelCatalogEntry entry, List<ModelCatalogEntry> entries, string sourceName)
    {
        if (entry.InpaintingFor is not { } targetId) return;
        var where = $"{sourceName}: model '{entry.Id}', field 'inpainting_for'";
        if (!entry.Family.IsInpainting())
            throw new ModelLoadException($"{where}: only inpainting models (sd15-inpaint, sdxl-inpaint) inpaint for another; '{entry.Id}' is {entry.Family.ToName()}.");
        var target = entries.FirstOrDefault(e => e.Id == targetId)
            ?? throw new ModelLoadException($"{where}: no model '{targetId}' in the catalog.");
        if (target.Family.IsInpainting() || target.Family is ModelFamily.Composite15 or ModelFamily.CompositeXl || target.Family.Pipeline() != entry.Family.Pipeline())
            throw new ModelLoadException($"{where}: '{targetId}' is {target.Family.ToName()}; an {entry.Family.ToName()} model inpaints for a " +
                                         $"plain model of its own pipeline ({(entry.Family.IsXl() ? "sdxl10, sdxl-turbo, ssd-1b" : "sd15, sd2, lcm")}).");
    }

    private sealed record CatalogFile(List<CatalogModel>? Models, List<CatalogLora>? Loras);

    internal sealed record CatalogLora
    {
        [JsonRequired] public string Id { get; init; } = "";
        [JsonRequired] public string File { get; init; } = "";
        [JsonRequired] public string Family { get; init; } = "";
        public double? DefaultWeight { get; init; }
        public List<string>? Autofill { get; init; }
        public List<string>? Recommend { get; init; }
        public string? Description { get; init; }
    }

    internal sealed record CatalogModel
    {
        [JsonRequired] public string Id { get; init; } = "";
        public string? Folder { get; init; }
        [JsonRequired] public string Family { get; init; } = "";
        [JsonRequired] public string NativeSize { get; init; } = "";
        public List<string>? Sizes { get; init; }
        public int? MaxSide { get; init; }
        public string? Render { get; init; }
        [JsonRequired] public int DefaultSteps { get; init; }
        [JsonRequired] public double DefaultGuidance { get; init; }
        public string? DefaultSampler { get; init; }
        public double? CreditMultiplier { get; init; }
        public List<string>? Autofill { get; init; }
        public List<string>? Recommend { get; init; }
        public string? Description { get; init; }
        public string? Refiner { get; init; }
        public string? InpaintingFor { get; init; }
        public double? HighNoiseFrac { get; init; }
        public int? ClipSkip { get; init; }
        public double? AestheticScore { get; init; }
        public double? NegativeAestheticScore { get; init; }
        public string? TimestepSpacing { get; init; }
        public string? ExecutionProvider { get; init; }
        public string? Base { get; init; }
        public string? Lora { get; init; }
        public double? LoraWeight { get; init; }
    }
}
