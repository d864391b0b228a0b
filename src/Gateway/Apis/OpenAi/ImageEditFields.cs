using Gateway.Apis.Shared;
using Gateway.Diffusion.Imaging;
using Gateway.Errors;
using Gateway.Streaming;

namespace Gateway.Apis.OpenAi;

/// <summary>A <c>POST /v1/images/edits</c> or <c>/v1/images/variations</c> body, validated; the images are still undecoded
/// file parts, decoded last (the costly part) once every other field is known good.</summary>
public sealed record ImageEditCall(
    string Model,
    string Prompt,
    string NegativePrompt,
    IFormFile Image,
    IFormFile? Mask,
    string? Size,
    double Strength,
    ImageFormat OutputFormat,
    ulong Seed,
    int Count,
    bool ResponseAsUrl,
    IReadOnlyList<string> IgnoredParams)
{
    /// <summary>Edits: answer as OpenAI's <c>image_edit.*</c> Server-Sent Events instead of one JSON body.</summary>
    public bool Stream { get; init; }
    /// <summary>With <see cref="Stream"/>: how many partial images (0–3) come before the final one.</summary>
    public int PartialImages { get; init; }
}

/// <summary>The fields of OpenAI's multipart image endpoints, their defaults and limits.</summary>
public static class ImageEditFields
{
    /// <summary>Without a mask: how far an edit moves from the image (diffusers' image-to-image default is 0.8).</summary>
    public const double EditStrength = 0.75;

    /// <summary>With a mask: the masked area is drawn anew from noise, as diffusers' inpainting pipelines do by default.</summary>
    public const double InpaintStrength = 1.0;

    /// <summary>Variations: enough noise for a new picture, little enough that composition and colours stay recognisable.</summary>
    public const double VariationStrength = 0.6;

    public const string AutoSize = "auto";

    /// <summary>UTF-8 bytes of the longest text field (<see cref="DialectFields.MaxTextLength"/> UTF-16 units, 3 bytes each at most).</summary>
    public const int MaxTextBytes = 3 * DialectFields.MaxTextLength;

    private const string IgnoreHint = "Remove it, or send allow_ignored_params=true to have unsupported parameters ignored.";

    public static ImageEditCall ReadEdit(FormFields form, string? defaultModel) => Read(form, defaultModel, variation: false);

    public static ImageEditCall ReadVariation(FormFields form, string? defaultModel) => Read(form, defaultModel, variation: true);

    private static ImageEditCall Read(FormFields form, string? defaultModel, bool variation)
    {
        var model = form.String("model", required: defaultModel is null) ?? defaultModel!;
        var prompt = variation ? "" : form.String("prompt", required: true, DialectFields.MaxTextLength)!;
        var negativePrompt = variation ? "" : form.String("negative_prompt", maxLength: DialectFields.MaxTextLength) ?? "";
        var images = form.Files("image", "image[]");
        if (images.Count == 0)
            throw ApiException.BadRequest("image",
                $"'image' is required: send the image {(variation ? "to vary" : "to edit")} as a file part.", "missing_required_parameter");
        if (images.Count > 1)
            throw ApiException.BadRequest(images[1].Name,
                $"This server edits one image a request; got {images.Count}. (OpenAI's gpt-image models take several as references; diffusion models edit one.)");
        var masks = variation ? [] : form.Files("mask");
        if (masks.Count > 1) throw ApiException.BadRequest("mask", "Send one mask.");
        var size = form.String("size");
        var strength = form.Number("strength", 0, 1)
            ?? (variation ? VariationStrength : masks.Count > 0 ? InpaintStrength : EditStrength);
        var outputFormat = form.Choice("output_format", ImageGenerationFields.OutputFormats) ?? "png";
        var chosenSeed = form.Integer("seed", 0, DialectSeeds.MaxSeed);
        var count = (int)(form.Integer("n", 1, ImageGenerationFields.MaxImages) ?? 1);
        // 0 asks the server to choose, as in Stability-style clients.
        var seed = DialectSeeds.ForBatch(chosenSeed is 0 ? null : chosenSeed, count, "seed", "n");
        var responseFormat = form.Choice("response_format", ImageGenerationFields.ResponseFormats) ?? "b64_json";
        var (stream, partialImages) = variation ? (false, 0) : ReadStreaming(form, responseFormat);
        var allowIgnored = form.Boolean("allow_ignored_params") ?? false;

        var unknown = form.UnreadFields;
        if (!allowIgnored && unknown is [var first, ..])
        {
            var names = string.Join(", ", unknown.Select(name => $"'{name}'"));
            throw ApiException.BadRequest(first,
                $"{(unknown.Count == 1 ? $"Unknown parameter {names}." : $"Unknown parameters: {names}.")} {IgnoreHint}", "unknown_parameter");
        }
        return new ImageEditCall(model, prompt, negativePrompt, images[0], masks.Count > 0 ? masks[0] : null, size, strength,
            Enum.Parse<ImageFormat>(outputFormat, ignoreCase: true), seed, count, responseFormat == "url", unknown)
        {
            Stream = stream,
            PartialImages = partialImages,
        };
    }

    /// <summary><c>stream</c> and <c>partial_images</c> as <see cref="ImageGenerationFields.ReadStreaming"/> reads them from JSON.</summary>
    private static (bool Stream, int PartialImages) ReadStreaming(FormFields form, string responseFormat)
    {
        var stream = form.Boolean("stream") ?? false;
        var partialImages = form.Integer("partial_images", 0, PartialImageSchedule.Max);
        if (!stream && partialImages is not null)
            throw ApiException.BadRequest("partial_images", "'partial_images' needs stream=true; partial images only exist in a stream.");
        if (stream && responseFormat == "url")
            throw ApiException.BadRequest("response_format", "A stream carries its images as b64_json; remove response_format=url or stream.");
        return (stream, (int)(partialImages ?? 0));
    }
}
