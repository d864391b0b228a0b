using System.Text.Json.Serialization;

namespace Gateway.Apis.Hyperbolic;

/// <summary>The request body, for the OpenAPI description only: the handler reads <see cref="JsonFields"/> so that it can
/// refuse unknown fields and name the one at fault.</summary>
public sealed record HyperbolicGenerationRequestSchema(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("negative_prompt")] string? NegativePrompt,
    [property: JsonPropertyName("height")] int? Height,
    [property: JsonPropertyName("width")] int? Width,
    [property: JsonPropertyName("steps")] int? Steps,
    [property: JsonPropertyName("cfg_scale")] double? CfgScale,
    [property: JsonPropertyName("seed")] long? Seed,
    [property: JsonPropertyName("sampler")] string? Sampler,
    [property: JsonPropertyName("n")] int? N,
    [property: JsonPropertyName("backend")] string? Backend,
    [property: JsonPropertyName("style_preset")] string? StylePreset,
    [property: JsonPropertyName("image")] string? Image,
    [property: JsonPropertyName("strength")] double? Strength,
    [property: JsonPropertyName("prompt_2")] string? Prompt2,
    [property: JsonPropertyName("negative_prompt_2")] string? NegativePrompt2,
    [property: JsonPropertyName("enable_refiner")] bool? EnableRefiner,
    [property: JsonPropertyName("controlnet_name")] string? ControlnetName,
    [property: JsonPropertyName("controlnet_image")] string? ControlnetImage,
    [property: JsonPropertyName("controlnet_conditioning_scale")] double? ControlnetConditioningScale,
    [property: JsonPropertyName("controlnet_preprocess")] bool? ControlnetPreprocess,
    [property: JsonPropertyName("control_guidance_start")] double? ControlGuidanceStart,
    [property: JsonPropertyName("control_guidance_end")] double? ControlGuidanceEnd,
    [property: JsonPropertyName("controlnet_canny_low")] int? ControlnetCannyLow,
    [property: JsonPropertyName("controlnet_canny_high")] int? ControlnetCannyHigh,
    [property: JsonPropertyName("loras")] IReadOnlyDictionary<string, double>? Loras,
    [property: JsonPropertyName("response_format")] string? ResponseFormat);

/// <summary>One image: PNG (base64 in JSON, or with <c>response_format: "url"</c> the stored image's <see cref="Url"/>), its
/// place in the request and the seed that reproduces it alone.</summary>
public sealed record HyperbolicImage(
    [property: JsonPropertyName("image")] byte[]? Image,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("random_seed")] ulong RandomSeed)
{
    [JsonPropertyName("url")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Url { get; init; }
}

/// <summary><c>inference_time</c> is the seconds the engine spent on the generation, queueing excluded;
/// <c>backend</c> names what ran it, whichever Hyperbolic backend was asked for.</summary>
public sealed record HyperbolicGenerationResponse(
    [property: JsonPropertyName("images")] IReadOnlyList<HyperbolicImage> Images,
    [property: JsonPropertyName("inference_time")] double InferenceTime,
    [property: JsonPropertyName("backend")] string Backend);

public sealed record StylePresetInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("negative_prompt")] string NegativePrompt);

public sealed record StylePresetList([property: JsonPropertyName("style_presets")] IReadOnlyList<StylePresetInfo> StylePresets);

/// <summary>A sampler's name and the diffusers class names that select it too.</summary>
public sealed record SamplerInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("aliases")] IReadOnlyList<string> Aliases);

public sealed record SamplerList([property: JsonPropertyName("samplers")] IReadOnlyList<SamplerInfo> Samplers);
