using System.Text.Json;
using Gateway.Diffusion.Models;
using Gateway.Errors;

namespace Gateway.Apis.Hyperbolic;

/// <summary>
/// Fields of Hyperbolic's schema for capabilities that no served model has yet: ControlNet and LoRA. They are
/// type-checked like any other field; a request that leaves them empty passes, and one that
/// uses them is refused naming the model, so nothing a client asked for is silently ignored.
/// </summary>
internal static class UnservedFeatures
{
    public static void Refuse(JsonFields body, ModelCatalogEntry model)
    {
        var uses = new (string Field, bool Used, string Needs)[]
        {
            ("controlnet_name", !string.IsNullOrEmpty(body.String("controlnet_name")), "a ControlNet"),
            ("controlnet_image", !string.IsNullOrEmpty(body.String("controlnet_image")), "a ControlNet"),
            ("loras", LoraCount(body) > 0, "LoRA adapters"),
        };
        foreach (var (field, used, needs) in uses)
        {
            if (used)
                throw ApiException.BadRequest(field,
                    $"'{field}' needs {needs}, which model '{model.Id}' ({model.Family.ToName()}) does not have.", "unsupported_parameter");
        }
    }

    /// <summary><c>loras</c> is Hyperbolic's map of adapter name to scale, e.g. <c>{"Pixel_Art": 0.7}</c>.</summary>
    private static int LoraCount(JsonFields body)
    {
        if (body.Raw("loras") is not { } loras) return 0;
        if (loras.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("loras", "'loras' must be an object of LoRA names and scales, e.g. {\"Pixel_Art\": 0.7}.", "invalid_type");
        var count = 0;
        foreach (var lora in loras.EnumerateObject())
        {
            if (lora.Value.ValueKind != JsonValueKind.Number)
                throw ApiException.BadRequest($"loras.{lora.Name}", $"The scale of LoRA '{lora.Name}' must be a number.", "invalid_type");
            count++;
        }
        return count;
    }
}
