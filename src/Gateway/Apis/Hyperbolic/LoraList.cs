using System.Text.Json.Serialization;
using Gateway.Diffusion.Models;

namespace Gateway.Apis.Hyperbolic;

/// <summary>The answer of <c>GET /v1/image/loras</c>: the LoRAs a request may name in <c>loras</c>.</summary>
public sealed record LoraList([property: JsonPropertyName("loras")] IReadOnlyList<LoraInfo> Loras)
{
    public static LoraList From(ModelCatalog catalog) => new(catalog.Loras.Select(l => new LoraInfo(
        l.Id, LoraCatalogEntry.FamilyName(l.Family), l.AppliesTo.Select(f => f.ToName()).ToList(),
        catalog.Models.Where(m => l.AppliesToFamily(m.Family)).Select(m => m.Id).ToList(),
        l.DefaultWeight, l.Autofill, l.Recommend, l.Description)).ToList());
}

public sealed record LoraInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("applies_to")] IReadOnlyList<string> AppliesTo,
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("default_weight")] double DefaultWeight,
    [property: JsonPropertyName("autofill")] IReadOnlyList<string> Autofill,
    [property: JsonPropertyName("recommend")] IReadOnlyList<string> Recommend,
    [property: JsonPropertyName("description")] string Description);
