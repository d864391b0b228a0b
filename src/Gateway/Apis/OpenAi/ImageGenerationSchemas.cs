using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Gateway.Apis.Shared;
using Gateway.Streaming;

namespace Gateway.Apis.OpenAi;

/// <summary>
/// The body of <c>POST /v1/images/generations</c> as the OpenAPI document describes it. The handler reads the JSON
/// through <see cref="ImageGenerationFields"/> instead, so that unknown fields are caught; keep the two in step.
/// </summary>
public sealed record ImageGenerationBody
{
    [JsonPropertyName("model"), Description("Model id from GET /v1/models. Required unless the server sets Gateway:DefaultModel.")]
    public string? Model { get; init; }

    [JsonPropertyName("prompt"), Required, StringLength(DialectFields.MaxTextLength, MinimumLength = 1)]
    [Description("What to draw.")]
    public required string Prompt { get; init; }

    [JsonPropertyName("aspect_ratio"), DefaultValue(OpenAiSizes.DefaultAspectRatio)]
    [AllowedValues("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")]
    [Description("Picks the size of that ratio (16:9 → 1344x768, 1:1 → 1024x1024, 21:9 → 1536x640, 2:3 → 832x1216, 3:2 → 1216x832, " +
                 "4:5 → 896x1088, 5:4 → 1088x896, 9:16 → 768x1344, 9:21 → 640x1536). With size, the two must agree.")]
    public string? AspectRatio { get; init; }

    [JsonPropertyName("size"), DefaultValue("1024x1024"), RegularExpression("^[0-9]+x[0-9]+$")]
    [Description("WIDTHxHEIGHT: one of 1344x768, 1024x1024, 1536x640, 832x1216, 1216x832, 896x1088, 1088x896, 768x1344, 640x1536, " +
                 "or a size the model lists (native_size, sizes in GET /v1/models).")]
    public string? Size { get; init; }

    [JsonPropertyName("negative_prompt"), StringLength(DialectFields.MaxTextLength), Description("What to avoid.")]
    public string? NegativePrompt { get; init; }

    [JsonPropertyName("prompt_2"), StringLength(DialectFields.MaxTextLength)]
    [Description("SDXL models: the prompt of the second text encoder (default: prompt). A Gateway extension; a 400 on other families.")]
    public string? Prompt2 { get; init; }

    [JsonPropertyName("negative_prompt_2"), StringLength(DialectFields.MaxTextLength)]
    [Description("SDXL models: the negative prompt of the second text encoder (default: negative_prompt). A Gateway extension.")]
    public string? NegativePrompt2 { get; init; }

    [JsonPropertyName("refiner"), DefaultValue(false)]
    [Description("SDXL models with a refiner (GET /v1/models names it): the refiner finishes the image. A Gateway extension; a 400 on a model without one.")]
    public bool? Refiner { get; init; }

    [JsonPropertyName("output_format"), DefaultValue("png"), AllowedValues("png", "jpeg", "webp")]
    [Description("Image encoding; webp is a Gateway extension.")]
    public string? OutputFormat { get; init; }

    [JsonPropertyName("seed"), Range(0, DialectSeeds.MaxSeed), DefaultValue(0)]
    [Description("0 picks a random seed. Image i of a batch uses seed + i. The seeds used are returned.")]
    public long? Seed { get; init; }

    [JsonPropertyName("n"), Range(1, ImageGenerationFields.MaxImages), DefaultValue(1)]
    [Description("Number of images, generated as one batch.")]
    public int? N { get; init; }

    [JsonPropertyName("response_format"), DefaultValue("b64_json"), AllowedValues("b64_json", "url")]
    [Description("b64_json returns the image bytes in base64; url returns a link served by this server under /images/.")]
    public string? ResponseFormat { get; init; }

    [JsonPropertyName("stream"), DefaultValue(false)]
    [Description("Answer as Server-Sent Events in OpenAI's image streaming shapes: partial_images events " +
                 "(image_generation.partial_image), then one image_generation.completed event per image; an error after the " +
                 "stream started is a data: {\"error\":{…}} frame. Needs response_format b64_json.")]
    public bool? Stream { get; init; }

    [JsonPropertyName("partial_images"), Range(0, PartialImageSchedule.Max), DefaultValue(0)]
    [Description("With stream: how many partial images (0-3), spread evenly over the denoising steps, each the VAE decode of " +
                 "the current estimate of the first image. Fewer come when the model runs fewer steps than that.")]
    public int? PartialImages { get; init; }

    [JsonPropertyName("allow_ignored_params"), DefaultValue(false)]
    [Description("Ignore unsupported OpenAI parameters (quality, style, user, …) instead of answering 400; they are listed in the X-Ignored-Params header.")]
    public bool? AllowIgnoredParams { get; init; }
}

/// <summary>The answer of <c>POST /v1/images/generations</c>.</summary>
public sealed record ImageGenerationResponse(
    [property: JsonPropertyName("created"), Description("Unix time in seconds.")] long Created,
    [property: JsonPropertyName("data")] IReadOnlyList<GeneratedImageData> Data);

/// <summary>One image: <c>b64_json</c> or <c>url</c>, as the request's <c>response_format</c> asked. The image is held as
/// bytes, which System.Text.Json writes as base64 straight into the UTF-8 response: a base64 string first cost about
/// 4 ms more per 512² PNG (measured).</summary>
public sealed record GeneratedImageData(
    [property: JsonPropertyName("b64_json"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("The image, base64.")]
    byte[]? B64Json,
    [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Where the image is served.")]
    string? Url,
    [property: JsonPropertyName("revised_prompt"), Description("Always empty: prompts are used as sent.")] string RevisedPrompt,
    [property: JsonPropertyName("seed"), Description("The seed that reproduces this image.")] ulong Seed);
