using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Apis.Hyperbolic;

/// <summary><c>loras</c> is Hyperbolic's map of adapter name to scale, e.g. <c>{"Pixel_Art": 0.7}</c>. Only the JSON
/// types are checked here; the engine checks names, families, weights and the count for every dialect alike.</summary>
internal static class HyperbolicLoras
{
    public static IReadOnlyDictionary<string, double>? Read(JsonFields body)
    {
        if (body.Raw("loras") is not { } loras || loras.ValueKind == JsonValueKind.Null) return null;
        if (loras.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("loras", "'loras' must be an object of LoRA names and scales, e.g. {\"Pixel_Art\": 0.7}.", "invalid_type");
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var lora in loras.EnumerateObject())
        {
            if (lora.Value.ValueKind != JsonValueKind.Number)
                throw ApiException.BadRequest($"loras.{lora.Name}", $"The scale of LoRA '{lora.Name}' must be a number.", "invalid_type");
            // TryGetDouble refuses numbers beyond double's range (1e400), which the engine's range check would never see.
            weights[lora.Name] = lora.Value.TryGetDouble(out var weight) && double.IsFinite(weight) ? weight
                : throw ApiException.BadRequest("loras", $"The weight of LoRA '{lora.Name}' must be -2..2.");
        }
        return weights;
    }
}
