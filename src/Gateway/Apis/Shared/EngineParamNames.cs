using Gateway.Diffusion.Pipelines;
using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>
/// Each dialect's names for the engine's request fields. The engine validates what every dialect would otherwise check
/// again (sizes that are multiples of 8 within the model's range, samplers, steps, image-to-image); its
/// <see cref="InvalidGenerationRequestException.Param"/> is renamed here to the field the client sent.
/// </summary>
public static class EngineParamNames
{
    private const string ItemKey = "Gateway.EngineParamNames";

    public static IReadOnlyDictionary<string, string> OpenAi { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["width"] = "size", ["height"] = "size",
    };

    public static IReadOnlyDictionary<string, string> Hyperbolic { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["guidance"] = "cfg_scale",
        ["refiner"] = "enable_refiner",
        ["controlnet"] = "controlnet_name",
        ["controlnet_scale"] = "controlnet_conditioning_scale",
    };

    public static IReadOnlyDictionary<string, string> Jobs { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["prompt"] = "model_input.SD.prompt",
        ["width"] = "model_input.SD.width",
        ["height"] = "model_input.SD.height",
        ["steps"] = "model_input.SD.num_iterations",
        ["guidance"] = "model_input.SD.guidance_scale",
    };

    /// <summary>Declares the names of the dialect that handles <paramref name="http"/>.</summary>
    public static void Use(HttpContext http, IReadOnlyDictionary<string, string> names) => http.Items[ItemKey] = names;

    /// <summary>The answer to <paramref name="e"/> with its param in the dialect's words, when the engine raised it.</summary>
    public static ApiException Rename(ApiException error, Exception e, HttpContext http) =>
        e is InvalidGenerationRequestException invalid && http.Items[ItemKey] is IReadOnlyDictionary<string, string> names &&
        names.TryGetValue(invalid.Param, out var field)
            ? ApiException.BadRequest(field, error.Message, error.Code ?? "invalid_value")
            : error;
}
