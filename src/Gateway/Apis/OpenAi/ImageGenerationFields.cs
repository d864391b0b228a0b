using Gateway.Diffusion.Imaging;
using Gateway.Errors;

namespace Gateway.Apis.OpenAi;

/// <summary>A <c>POST /v1/images/generations</c> body, validated. <see cref="Seed"/> 0 means "choose one".</summary>
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
    bool AllowIgnoredParams = false);

/// <summary>The fields of <c>POST /v1/images/generations</c>, their defaults and limits.</summary>
public static class ImageGenerationFields
{
    /// <summary>A text-to-image body is a few kilobytes; anything near this is not one.</summary>
    public const long MaxBodyBytes = 1024 * 1024;
    public const int MaxPromptLength = 10_000;
    public const int MaxImages = 10;
    public const long MaxSeed = uint.MaxValue;
    public static readonly string[] OutputFormats = ["png", "jpeg", "webp"];
    public static readonly string[] ResponseFormats = ["b64_json", "url"];

    /// <summary>Reads the body; <paramref name="defaultModel"/> (<c>Gateway:DefaultModel</c>) makes <c>model</c> optional.</summary>
    public static ImageGenerationCall Read(JsonFields body, string? defaultModel)
    {
        var model = body.String("model", required: defaultModel is null, minLength: 1) ?? defaultModel!;
        var prompt = body.String("prompt", required: true, minLength: 1, maxLength: MaxPromptLength)!;
        var aspectRatio = body.Choice("aspect_ratio", OpenAiSizes.AspectRatios);
        var size = body.String("size");
        var negativePrompt = body.String("negative_prompt", maxLength: MaxPromptLength) ?? "";
        var outputFormat = body.Choice("output_format", OutputFormats) ?? "png";
        var seed = body.Integer("seed", 0, MaxSeed) ?? 0;
        var count = body.Integer("n", 1, MaxImages) ?? 1;
        var responseFormat = body.Choice("response_format", ResponseFormats) ?? "b64_json";
        var allowIgnored = body.Boolean("allow_ignored_params") ?? false;

        var unknown = body.UnreadFields;
        if (unknown.Count > 0 && !allowIgnored)
            throw ApiException.BadRequest(unknown[0],
                $"Unsupported parameter: '{unknown[0]}'. Remove it, or send \"allow_ignored_params\": true to have unsupported parameters ignored.",
                "unknown_parameter");

        return new ImageGenerationCall(model, prompt, aspectRatio, size, negativePrompt,
            Enum.Parse<ImageFormat>(outputFormat, ignoreCase: true), (ulong)seed, (int)count,
            responseFormat == "url", unknown, allowIgnored);
    }
}
