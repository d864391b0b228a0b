using Gateway.Apis.Shared;
using Gateway.Diffusion.Imaging;
using Gateway.Errors;
using Gateway.Streaming;

namespace Gateway.Apis.OpenAi;

/// <summary>A <c>POST /v1/images/generations</c> body, validated; <see cref="Seed"/> leaves room for the batch.</summary>
public sealed record ImageGenerationCall(
    string Model,
    string Prompt,
    string? AspectRatio,
    string? Size,
    string NegativePrompt,
    ImageFormat OutputFormat,
    ulong Seed,
    int Count,
    bool ResponseAsUrl,
    IReadOnlyList<string> IgnoredParams,
    bool AllowIgnoredParams = false)
{
    /// <summary>SDXL's second-encoder prompts (Gateway extensions); null: the first ones.</summary>
    public string? Prompt2 { get; init; }
    public string? NegativePrompt2 { get; init; }
    /// <summary>Finish with the model's SDXL refiner (Gateway extension).</summary>
    public bool Refiner { get; init; }
    /// <summary>Answer as Server-Sent Events (OpenAI's image streaming) instead of one JSON body.</summary>
    public bool Stream { get; init; }
    /// <summary>With <see cref="Stream"/>: how many partial images (0–3) come before the final one.</summary>
    public int PartialImages { get; init; }
}

/// <summary>The fields of <c>POST /v1/images/generations</c>, their defaults and limits.</summary>
public static class ImageGenerationFields
{
    /// <summary>A text-to-image body is a few kilobytes; anything near this is not one.</summary>
    public const long MaxBodyBytes = 1024 * 1024;
    public const int MaxImages = 10;
    public static readonly string[] OutputFormats = ["png", "jpeg", "webp"];
    public static readonly string[] ResponseFormats = ["b64_json", "url"];

    /// <summary>Reads the body; <paramref name="defaultModel"/> (<c>Gateway:DefaultModel</c>) makes <c>model</c> optional.</summary>
    public static ImageGenerationCall Read(JsonFields body, string? defaultModel)
    {
        var model = body.String("model", required: defaultModel is null, minLength: 1) ?? defaultModel!;
        var prompt = DialectFields.Text(body, "prompt", required: true, minLength: 1)!;
        var aspectRatio = body.Choice("aspect_ratio", OpenAiSizes.AspectRatios);
        var size = body.String("size");
        var negativePrompt = DialectFields.Text(body, "negative_prompt") ?? "";
        var prompt2 = DialectFields.Text(body, "prompt_2");
        var negativePrompt2 = DialectFields.Text(body, "negative_prompt_2");
        var refiner = body.Boolean("refiner") ?? false;
        var outputFormat = body.Choice("output_format", OutputFormats) ?? "png";
        var chosenSeed = body.Integer("seed", 0, DialectSeeds.MaxSeed);
        var count = (int)(body.Integer("n", 1, MaxImages) ?? 1);
        // 0 asks the server to choose, as in Stability-style clients.
        var seed = DialectSeeds.ForBatch(chosenSeed is 0 ? null : chosenSeed, count, "seed", "n");
        var responseFormat = body.Choice("response_format", ResponseFormats) ?? "b64_json";
        var allowIgnored = body.Boolean("allow_ignored_params") ?? false;
        var (stream, partialImages) = ReadStreaming(body, responseFormat);

        var unknown = body.UnreadFields;
        if (!allowIgnored)
            DialectFields.RefuseUnread(body, "Remove it, or send \"allow_ignored_params\": true to have unsupported parameters ignored.");

        return new ImageGenerationCall(model, prompt, aspectRatio, size, negativePrompt,
            Enum.Parse<ImageFormat>(outputFormat, ignoreCase: true), seed, count,
            responseFormat == "url", unknown, allowIgnored)
        {
            Prompt2 = prompt2,
            NegativePrompt2 = negativePrompt2,
            Refiner = refiner,
            Stream = stream,
            PartialImages = partialImages,
        };
    }

    /// <summary><c>stream</c> and <c>partial_images</c>; a stream carries base64 images, so it refuses <c>response_format: url</c>.</summary>
    public static (bool Stream, int PartialImages) ReadStreaming(JsonFields body, string? responseFormat)
    {
        var stream = body.Boolean("stream") ?? false;
        var partialImages = body.Integer("partial_images", 0, PartialImageSchedule.Max);
        if (!stream && partialImages is not null)
            throw ApiException.BadRequest("partial_images", "'partial_images' needs \"stream\": true; partial images only exist in a stream.");
        if (stream && responseFormat == "url")
            throw ApiException.BadRequest("response_format", "A stream carries its images as b64_json; remove \"response_format\": \"url\" or \"stream\".");
        return (stream, (int)(partialImages ?? 0));
    }
}
