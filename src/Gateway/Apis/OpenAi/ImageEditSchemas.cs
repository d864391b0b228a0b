using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Gateway.Apis.Shared;
using Gateway.Streaming;

namespace Gateway.Apis.OpenAi;

/// <summary>
/// The multipart body of <c>POST /v1/images/edits</c> as the OpenAPI document describes it. The handler reads the form
/// through <see cref="ImageEditFields"/> instead, so that unknown fields are caught; keep the two in step.
/// </summary>
public sealed record ImageEditBody
{
    [JsonPropertyName("image"), Required]
    [Description("The image to edit (PNG, JPEG or WebP, at most 16 megapixels), as a file part named image or image[] (the OpenAI SDKs " +
                 "send image[]). One image a request: several are refused.")]
    public required IFormFile Image { get; init; }

    [JsonPropertyName("mask")]
    [Description("A PNG the image's size whose fully transparent pixels (alpha 0) mark where to edit; opaque pixels are kept as sent, " +
                 "partly transparent ones blend by their alpha. With a mask the edit is inpainting: on the model's SD-inpaint export when " +
                 "models.json has one for it (inpainting_for), else masked image-to-image; the X-Inpaint-Method header says which.")]
    public IFormFile? Mask { get; init; }

    [JsonPropertyName("prompt"), Required, StringLength(DialectFields.MaxTextLength, MinimumLength = 1)]
    [Description("What the edited image shows.")]
    public required string Prompt { get; init; }

    [JsonPropertyName("model"), Description("Model id from GET /v1/models. Required unless the server sets Gateway:DefaultModel.")]
    public string? Model { get; init; }

    [JsonPropertyName("negative_prompt"), StringLength(DialectFields.MaxTextLength), Description("What to avoid. A Gateway extension.")]
    public string? NegativePrompt { get; init; }

    [JsonPropertyName("strength"), Range(0.0, 1.0)]
    [Description("How far the result moves from the image: 0 keeps it, 1 redraws it. Default 0.75 without a mask, 1 with one " +
                 "(the masked area is drawn anew). A Gateway extension.")]
    public double? Strength { get; init; }

    [JsonPropertyName("size"), DefaultValue(ImageEditFields.AutoSize)]
    [Description("auto (the default): the image's own size, each side rounded to a multiple of 8. Otherwise a size " +
                 "/v1/images/generations accepts; the image and mask are resized to it.")]
    public string? Size { get; init; }

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
    [Description("Answer as Server-Sent Events in OpenAI's image streaming shapes: partial_images events (image_edit.partial_image), " +
                 "then one image_edit.completed event per image; an error after the stream started is a data: {\"error\":{…}} frame. " +
                 "Needs response_format b64_json. A stream has no X-Inpaint-Method header.")]
    public bool? Stream { get; init; }

    [JsonPropertyName("partial_images"), Range(0, PartialImageSchedule.Max), DefaultValue(0)]
    [Description("With stream: how many partial images (0-3), spread evenly over the denoising steps, each the VAE decode of " +
                 "the first image's current estimate.")]
    public int? PartialImages { get; init; }

    [JsonPropertyName("allow_ignored_params"), DefaultValue(false)]
    [Description("Ignore unsupported OpenAI parameters (quality, background, input_fidelity, user, …) instead of answering 400; they " +
                 "are listed in the X-Ignored-Params header.")]
    public bool? AllowIgnoredParams { get; init; }
}

/// <summary>The multipart body of <c>POST /v1/images/variations</c>; read through <see cref="ImageEditFields"/>.</summary>
public sealed record ImageVariationBody
{
    [JsonPropertyName("image"), Required]
    [Description("The image to vary (PNG, JPEG or WebP, at most 16 megapixels), as a file part named image (or image[]).")]
    public required IFormFile Image { get; init; }

    [JsonPropertyName("model"), Description("Model id from GET /v1/models. Required unless the server sets Gateway:DefaultModel.")]
    public string? Model { get; init; }

    [JsonPropertyName("strength"), Range(0.0, 1.0), DefaultValue(ImageEditFields.VariationStrength)]
    [Description("How far a variation moves from the image: the default 0.6 keeps its composition and colours recognisable. A Gateway extension.")]
    public double? Strength { get; init; }

    [JsonPropertyName("size"), DefaultValue(ImageEditFields.AutoSize)]
    [Description("auto (the default): the image's own size, each side rounded to a multiple of 8. Otherwise a size /v1/images/generations accepts.")]
    public string? Size { get; init; }

    [JsonPropertyName("output_format"), DefaultValue("png"), AllowedValues("png", "jpeg", "webp")]
    [Description("Image encoding. A Gateway extension.")]
    public string? OutputFormat { get; init; }

    [JsonPropertyName("seed"), Range(0, DialectSeeds.MaxSeed), DefaultValue(0)]
    [Description("0 picks a random seed. Image i of a batch uses seed + i. The seeds used are returned.")]
    public long? Seed { get; init; }

    [JsonPropertyName("n"), Range(1, ImageGenerationFields.MaxImages), DefaultValue(1)]
    [Description("Number of variations, generated as one batch (each from its own seed).")]
    public int? N { get; init; }

    [JsonPropertyName("response_format"), DefaultValue("b64_json"), AllowedValues("b64_json", "url")]
    [Description("b64_json returns the image bytes in base64; url returns a link served by this server under /images/.")]
    public string? ResponseFormat { get; init; }

    [JsonPropertyName("allow_ignored_params"), DefaultValue(false)]
    [Description("Ignore unsupported OpenAI parameters (user, …) instead of answering 400; they are listed in the X-Ignored-Params header.")]
    public bool? AllowIgnoredParams { get; init; }
}
