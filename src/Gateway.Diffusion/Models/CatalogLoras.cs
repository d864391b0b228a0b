namespace Gateway.Diffusion.Models;

/// <summary>models.json's <c>loras</c> and the composite models (<c>composite15</c> / <c>compositexl</c>) built on them.</summary>
internal static class CatalogLoras
{
    public const double MinWeight = -2, MaxWeight = 2;

    public static List<LoraCatalogEntry> Read(List<ModelCatalog.CatalogLora> loras, string modelsDirectory, string sourceName)
    {
        var entries = new List<LoraCatalogEntry>();
        foreach (var lora in loras)
        {
            string Where(string field) => $"{sourceName}: LoRA '{lora.Id}', field '{field}'";
            if (string.IsNullOrWhiteSpace(lora.Id) || lora.Id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
                throw new ModelLoadException($"{sourceName}: LoRA id '{lora.Id}' must be non-empty and use only letters, digits, '-', '_' or '.'.");
            if (entries.Any(e => e.Id == lora.Id))
                throw new ModelLoadException($"{sourceName}: the LoRA id '{lora.Id}' is listed twice.");
            var family = lora.Family.ToLowerInvariant() switch
            {
                "sd15" => LoraFamily.Sd15,
                "sdxl" => LoraFamily.Sdxl,
                _ => throw new ModelLoadException($"{Where("family")}: '{lora.Family}' is not sd15 or sdxl."),
            };
            if (lora.DefaultWeight is { } weight && !(weight >= MinWeight && weight <= MaxWeight))
                throw new ModelLoadException($"{Where("default_weight")}: {weight} is outside {MinWeight}..{MaxWeight}.");
            entries.Add(new LoraCatalogEntry
            {
                Id = lora.Id,
                File = Path.GetFullPath(Path.Combine(modelsDirectory, lora.File)),
                Family = family,
                DefaultWeight = lora.DefaultWeight ?? 1.0,
                Autofill = lora.Autofill ?? [],
                Recommend = lora.Recommend ?? [],
                Description = lora.Description ?? "",
            });
        }
        return entries;
    }

    /// <summary>Checks a composite entry against its base and LoRA and points it at the base's folder; other entries
    /// must not name a base or a LoRA.</summary>
    public static ModelCatalogEntry ResolveComposite(ModelCatalogEntry entry, ModelCatalog.CatalogModel model,
        List<ModelCatalogEntry> entries, List<LoraCatalogEntry> loras, string sourceName)
    {
        string Where(string field) => $"{sourceName}: model '{entry.Id}', field '{field}'";
        var composite = entry.Family is ModelFamily.Composite15 or ModelFamily.CompositeXl;
        if (!composite)
        {
            if (model.Base is not null || model.Lora is not null || model.LoraWeight is not null)
                throw new ModelLoadException($"{Where(model.Base is not null ? "base" : "lora")}: only composite15 and compositexl models name a base and a LoRA.");
            return entry;
        }
        if (string.IsNullOrWhiteSpace(model.Base)) throw new ModelLoadException($"{Where("base")}: a {entry.Family.ToName()} model needs its base model's id.");
        if (string.IsNullOrWhiteSpace(model.Lora)) throw new ModelLoadException($"{Where("lora")}: a {entry.Family.ToName()} model needs the id of its LoRA.");
        var baseEntry = entries.FirstOrDefault(e => e.Id == model.Base)
            ?? throw new ModelLoadException($"{Where("base")}: no model '{model.Base}' in the catalog.");
        var wanted = entry.Family == ModelFamily.CompositeXl ? PipelineKind.StableDiffusionXl : PipelineKind.StableDiffusion;
        if (baseEntry.Family is ModelFamily.Composite15 or ModelFamily.CompositeXl || baseEntry.Family.Pipeline() != wanted)
            throw new ModelLoadException($"{Where("base")}: '{baseEntry.Id}' is {baseEntry.Family.ToName()}, which a {entry.Family.ToName()} model cannot be built on.");
        var lora = loras.FirstOrDefault(l => l.Id == model.Lora)
            ?? throw new ModelLoadException($"{Where("lora")}: no LoRA '{model.Lora}' in the catalog's loras.");
        if (!lora.AppliesToFamily(entry.Family) || !lora.AppliesToFamily(baseEntry.Family))
            throw new ModelLoadException($"{Where("lora")}: '{lora.Id}' is a {LoraCatalogEntry.FamilyName(lora.Family)} LoRA; base '{baseEntry.Id}' is {baseEntry.Family.ToName()}.");
        var weight = model.LoraWeight ?? lora.DefaultWeight;
        if (!(weight >= MinWeight && weight <= MaxWeight))
            throw new ModelLoadException($"{Where("lora_weight")}: {weight} is outside {MinWeight}..{MaxWeight}.");
        return entry with
        {
            Directory = baseEntry.Directory,
            Composite = new CompositeOf(baseEntry.Id, lora.Id, weight),
            Autofill = entry.Autofill.Count > 0 ? entry.Autofill : lora.Autofill,
            Recommend = entry.Recommend.Count > 0 ? entry.Recommend : lora.Recommend,
        };
    }
}
