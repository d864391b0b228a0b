using System.Text.Json.Serialization;
using Gateway.Errors;

namespace Gateway.Streaming;

/// <summary>What every event of one OpenAI image stream repeats about the request.</summary>
/// <param name="Size">The size asked for, <c>WIDTHxHEIGHT</c>.</param>
/// <param name="OutputFormat"><c>png</c>, <c>jpeg</c> or <c>webp</c>.</param>
public sealed record OpenAiStreamSettings(string Size, string OutputFormat, string Quality = "auto", string Background = "opaque");

/// <summary>
/// OpenAI's image streaming events on an <see cref="SseWriter"/>: <c>{prefix}.partial_image</c> and
/// <c>{prefix}.completed</c> with <see cref="GenerationPrefix"/> for <c>/v1/images/generations</c> and
/// <see cref="EditPrefix"/> for <c>/v1/images/edits</c>, and an error as a bare <c>data: {"error":{…}}</c> frame,
/// which the SDKs raise as an API error.
/// </summary>
public sealed class OpenAiImageStream(SseWriter writer, string prefix, OpenAiStreamSettings settings)
{
    public const string GenerationPrefix = "image_generation";
    public const string EditPrefix = "image_edit";

    public Task WritePartialAsync(byte[] image, int index, CancellationToken cancel)
    {
        var type = $"{prefix}.partial_image";
        return writer.WriteEventAsync(type, new PartialImageFrame(type, Convert.ToBase64String(image), index, Now(), settings.Size,
            settings.Quality, settings.Background, settings.OutputFormat), SseJson.Options, null, cancel);
    }

    public Task WriteCompletedAsync(byte[] image, CancellationToken cancel)
    {
        var type = $"{prefix}.completed";
        return writer.WriteEventAsync(type, new CompletedFrame(type, Convert.ToBase64String(image), Now(), settings.Size,
            settings.Quality, settings.Background, settings.OutputFormat, ImageUsage.None), SseJson.Options, null, cancel);
    }

    public Task WriteErrorAsync(ApiException error, CancellationToken cancel) =>
        writer.WriteDataAsync(new ApiErrorWriter.ErrorEnvelope(new ApiErrorWriter.ErrorBody(error.Message, error.Type, error.Param, error.Code)),
            SseJson.Options, cancel);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public sealed record PartialImageFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("b64_json")] string B64Json,
        [property: JsonPropertyName("partial_image_index")] int PartialImageIndex,
        [property: JsonPropertyName("created_at")] long CreatedAt,
        [property: JsonPropertyName("size")] string Size,
        [property: JsonPropertyName("quality")] string Quality,
        [property: JsonPropertyName("background")] string Background,
        [property: JsonPropertyName("output_format")] string OutputFormat);

    public sealed record CompletedFrame(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("b64_json")] string B64Json,
        [property: JsonPropertyName("created_at")] long CreatedAt,
        [property: JsonPropertyName("size")] string Size,
        [property: JsonPropertyName("quality")] string Quality,
        [property: JsonPropertyName("background")] string Background,
        [property: JsonPropertyName("output_format")] string OutputFormat,
        [property: JsonPropertyName("usage")] ImageUsage Usage);

    /// <summary>OpenAI's token usage. Gateway meters in credits (<c>GET /credits</c>), not tokens: all zero.</summary>
    public sealed record ImageUsage(
        [property: JsonPropertyName("total_tokens")] int TotalTokens,
        [property: JsonPropertyName("input_tokens")] int InputTokens,
        [property: JsonPropertyName("output_tokens")] int OutputTokens,
        [property: JsonPropertyName("input_tokens_details")] InputTokensDetails InputTokensDetails)
    {
        public static ImageUsage None { get; } = new(0, 0, 0, new InputTokensDetails(0, 0));
    }

    public sealed record InputTokensDetails(
        [property: JsonPropertyName("text_tokens")] int TextTokens,
        [property: JsonPropertyName("image_tokens")] int ImageTokens);
}
