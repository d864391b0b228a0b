namespace Gateway.Diffusion.Models;

/// <summary>models.json's <c>controlnets</c>, <c>annotators</c> and the models' <c>controlnet</c> support.</summary>
internal static class CatalogControlNets
{
    public const string Sd15Family = "sd15";
    public const string SdxlFamily = "sdxl";
    public const double MinScale = Control.ControlNetRequest.MinScale, MaxScale = Control.ControlNetRequest.MaxScale;

    /// <summary>The preprocessors built in: <c>canny</c> (OpenCV) and <c>none</c>; any other must be an annotator id.</summary>
    public const string Canny = "canny", NoPreprocessor = "none";

    public static List<AnnotatorCatalogEntry> ReadAnnotators(List<ModelCatalog.CatalogAnnotator> annotators, string modelsDirectory, string sourceName)
    {
        var entries = new List<AnnotatorCatalogEntry>();
        foreach (var annotator in annotators)
        {
            string Where(string field) => $"{sourceName}: annotator '{annotator.Id}', field '{field}'";
            CheckId(annotator.Id, "annotator", sourceName);
            if (annotator.Id is Canny or NoPreprocessor)
                throw new ModelLoadException($"{Where("id")}: '{annotator.Id}' is a built-in preprocessor.");
            if (entries.Any(e => e.Id == annotator.Id))
                throw new ModelLoadException($"{sourceName}: the annotator id '{annotator.Id}' is listed twice.");
            if (annotator.SampleSize is < 0 or > 4096)
                throw new ModelLoadException($"{Where("sample_size")}: {annotator.SampleSize} is outside 0..4096.");
            entries.Add(new AnnotatorCatalogEntry
            {
                Id = annotator.Id,
                File = Path.GetFullPath(Path.Combine(modelsDirectory, annotator.File)),
                SampleSize = annotator.SampleSize ?? 0,
                NormalizeOutput = annotator.NormalizeOutput ?? false,
                Description = annotator.Description ?? "",
            });
        }
        return entries;
    }

    public static List<ControlNetCatalogEntry> Read(List<ModelCatalog.CatalogControlNet> controlNets, List<AnnotatorCatalogEntry> annotators,
        string modelsDirectory, string sourceName)
    {
        var entries = new List<ControlNetCatalogEntry>();
        foreach (var net in controlNets)
        {
            string Where(string field) => $"{sourceName}: ControlNet '{net.Id}', field '{field}'";
            CheckId(net.Id, "ControlNet", sourceName);
            if (entries.Any(e => e.Id == net.Id))
                throw new ModelLoadException($"{sourceName}: the ControlNet id '{net.Id}' is listed twice.");
            var family = net.Family.ToLowerInvariant();
            if (family is not (Sd15Family or SdxlFamily))
                throw new ModelLoadException($"{Where("family")}: '{net.Family}' is not {Sd15Family} or {SdxlFamily}.");
            var preprocessor = net.Preprocessor.ToLowerInvariant();
            if (preprocessor is not (Canny or NoPreprocessor) && annotators.All(a => a.Id != preprocessor))
                throw new ModelLoadException(
                    $"{Where("preprocessor")}: '{net.Preprocessor}' is not {Canny}, {NoPreprocessor} or an id of the catalog's annotators " +
                    $"({string.Join(", ", annotators.Select(a => a.Id))}).");
            if (net.DefaultScale is { } scale && !(scale >= MinScale && scale <= MaxScale))
                throw new ModelLoadException($"{Where("default_scale")}: {scale} is outside {MinScale}..{MaxScale}.");
            entries.Add(new ControlNetCatalogEntry
            {
                Id = net.Id,
                Directory = Path.GetFullPath(Path.Combine(modelsDirectory, net.Folder ?? Path.Combine("controlnets", net.Id))),
                Family = family,
                Preprocessor = preprocessor,
                DefaultScale = net.DefaultScale ?? 1.0,
                Description = net.Description ?? "",
            });
        }
        return entries;
    }

    /// <summary>A model's <c>controlnet</c> object, checked against its family and the catalog's ControlNets.</summary>
    public static ModelCatalogEntry ResolveSupport(ModelCatalogEntry entry, ModelCatalog.CatalogModelControlNet? support,
        List<ModelCatalogEntry> models, List<ControlNetCatalogEntry> controlNets, string sourceName)
    {
        if (support is null) return entry;
        string Where(string field) => $"{sourceName}: model '{entry.Id}', field 'controlnet.{field}'";
        if (entry.Family is not (ModelFamily.Sd15 or ModelFamily.Sdxl10 or ModelFamily.SdxlTurbo or ModelFamily.SsdOneB))
            throw new ModelLoadException($"{Where("unet")}: ControlNet serves sd15 and SDXL base models; '{entry.Id}' is {entry.Family.ToName()}.");
        if (string.IsNullOrWhiteSpace(support.Unet) || Path.IsPathRooted(support.Unet) || support.Unet.Contains(".."))
            throw new ModelLoadException($"{Where("unet")}: the ControlNet UNet's folder inside the model folder (e.g. \"controlnet\") is required.");
        if (support.Default is { } defaultId)
        {
            var net = controlNets.FirstOrDefault(c => c.Id == defaultId)
                ?? throw new ModelLoadException($"{Where("default")}: no ControlNet '{defaultId}' in the catalog's controlnets.");
            if (!net.AppliesToFamily(entry.Family))
                throw new ModelLoadException($"{Where("default")}: '{defaultId}' is a {net.Family} ControlNet; '{entry.Id}' is {entry.Family.ToName()}.");
        }
        if (support.Alias is { } alias)
        {
            CheckId(alias, "alias", sourceName);
            if (support.Default is null)
                throw new ModelLoadException($"{Where("alias")}: an alias means the model with its default ControlNet; name one in 'controlnet.default'.");
            if (models.Any(m => m.Id == alias || (m.ControlNet?.Alias == alias && m.Id != entry.Id)))
                throw new ModelLoadException($"{Where("alias")}: '{alias}' is already a model id or another model's alias.");
        }
        return entry with { ControlNet = new ControlNetSupport(support.Unet, support.Alias, support.Default) };
    }

    private static void CheckId(string id, string what, string sourceName)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ModelLoadException($"{sourceName}: {what} id '{id}' must be non-empty and use only letters, digits, '-', '_' or '.'.");
    }
}
