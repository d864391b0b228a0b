using System.Globalization;
using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Adapters;

/// <summary>One LoRA of a request at its weight.</summary>
internal sealed record LoraUse(LoraCatalogEntry Lora, double Weight);

/// <summary>
/// The LoRAs a generation runs with, sorted by id, weight-0 ones left out (so weight 0 is the base model itself), and
/// the base model whose weights they change. <see cref="Key"/> identifies the set in batch keys and the variant cache.
/// </summary>
internal sealed record LoraSet(string BaseModel, IReadOnlyList<LoraUse> Items)
{
    public static LoraSet None(string baseModel) => new(baseModel, []);

    public bool IsEmpty => Items.Count == 0;

    /// <summary>"" for no LoRA; else <c>id:weight</c> pairs (invariant, round-trip) joined by ','.</summary>
    public string Key { get; } = string.Join(",", Items.Select(i => $"{i.Lora.Id}:{i.Weight.ToString("R", CultureInfo.InvariantCulture)}"));
}

/// <summary>Checks a request's LoRAs against the catalog and the model (every dialect gets the same errors, on <c>loras</c>).</summary>
internal static class LoraSets
{
    public const int MaxPerRequest = 5;

    public static LoraSet Resolve(ModelCatalog catalog, ModelCatalogEntry entry, IReadOnlyDictionary<string, double>? requested)
    {
        var weights = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (entry.Composite is { } composite) weights[composite.Lora] = composite.Weight;
        if (requested is { Count: > 0 })
        {
            if (requested.Count > MaxPerRequest)
                throw new Pipelines.InvalidGenerationRequestException("loras", $"At most {MaxPerRequest} LoRAs per request; got {requested.Count}.");
            foreach (var (id, weight) in requested)
            {
                if (!catalog.TryGetLora(id, out var lora))
                    throw new Pipelines.InvalidGenerationRequestException("loras",
                        $"Unknown LoRA '{id}'. " + (catalog.Loras.Count == 0 ? "No LoRAs are installed."
                            : $"Installed: {string.Join(", ", catalog.Loras.Select(l => l.Id))}."));
                if (!lora.AppliesToFamily(entry.Family))
                    throw new Pipelines.InvalidGenerationRequestException("loras",
                        $"LoRA '{id}' is for {LoraCatalogEntry.FamilyName(lora.Family)} models; model '{entry.Id}' is {entry.Family.ToName()}.");
                if (!double.IsFinite(weight) || weight < CatalogLoras.MinWeight || weight > CatalogLoras.MaxWeight)
                    throw new Pipelines.InvalidGenerationRequestException("loras",
                        $"The weight of LoRA '{id}' must be {CatalogLoras.MinWeight}..{CatalogLoras.MaxWeight}; got {weight}.");
                weights[id] = weight;
            }
        }
        var items = weights.Where(pair => pair.Value != 0).Select(pair =>
        {
            catalog.TryGetLora(pair.Key, out var lora);
            return new LoraUse(lora, pair.Value);
        }).ToList();
        return new LoraSet(entry.Composite?.Base ?? entry.Id, items);
    }
}
