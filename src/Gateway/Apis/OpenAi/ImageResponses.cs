using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;
using Gateway.Storage;
using Gateway.Streaming;

namespace Gateway.Apis.OpenAi;

/// <summary>How an OpenAI image request wants its answer: OpenAI's event stream under <see cref="EventPrefix"/> (with
/// <see cref="PartialImages"/>) or JSON, the images in <see cref="Format"/> at <see cref="Width"/> × <see cref="Height"/>.</summary>
public sealed record ImageAnswer(string EventPrefix, bool Stream, int PartialImages, ulong Seed, ImageFormat Format, bool AsUrl,
    int Width, int Height);

/// <summary>The answer of every OpenAI image endpoint: each image encoded (in parallel) with its parameters, then streamed
/// as events, or in JSON inline as base64 or stored and linked, with the seeds and warnings in headers.</summary>
public static class ImageResponses
{
    /// <summary>Runs <paramref name="generate"/> and answers as <paramref name="answer"/> asks.</summary>
    public static async Task<IResult> AnswerAsync(HttpContext http, TrackedJob job, GenerationRequest request, ImageAnswer answer,
        Func<Task<GenerationResult>> generate, ImageOutput output, IImageStore store, ImageUrls urls, GatewayOptions gateway)
    {
        byte[] EncodePartial(PixelImage image) => ImageCodec.Encode(ImageCodec.Resize(image, answer.Width, answer.Height), answer.Format);
        GenerationParameters ParametersOf(GenerationResult result, int index) =>
            GenerationParameters.Of(request, result, index, answer.Width, answer.Height);
        byte[] Encode(GenerationResult result, int index) =>
            output.Encode(ImageCodec.Resize(result.Images[index].Image, answer.Width, answer.Height), answer.Format, ParametersOf(result, index));

        if (answer.Stream)
        {
            DialectResponse.SetSeed(http, answer.Seed);
            var streaming = new OpenAiStreamSettings($"{answer.Width}x{answer.Height}", answer.Format.ToString().ToLowerInvariant());
            await OpenAiStreamResponse.RunAsync(http, job, answer.EventPrefix, streaming, answer.PartialImages,
                TimeSpan.FromSeconds(Math.Max(0.05, gateway.EventsHeartbeatSeconds)), generate, EncodePartial, Encode);
            return Results.Empty;
        }

        var data = await DataAsync(http, await generate(), ParametersOf, Encode, answer.Format, answer.AsUrl, store, urls);
        job.Succeed(data[0].Url);
        return Results.Json(new ImageGenerationResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data));
    }

    private static async Task<List<GeneratedImageData>> DataAsync(HttpContext http, GenerationResult result,
        Func<GenerationResult, int, GenerationParameters> parametersOf, Func<GenerationResult, int, byte[]> encode,
        ImageFormat format, bool asUrl, IImageStore store, ImageUrls urls)
    {
        var cancel = http.RequestAborted;
        var encoded = await DialectImages.EncodeAsync(Enumerable.Range(0, result.Images.Count), index => encode(result, index), cancel);
        var data = new List<GeneratedImageData>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var seed = result.Images[i].Seed;
            data.Add(asUrl
                ? new GeneratedImageData(null, urls.For(http.Request, (await store.SaveAsync(encoded[i], format, http.ClientId(), parametersOf(result, i), cancel)).FileName), "", seed)
                : new GeneratedImageData(encoded[i], null, "", seed));
        }
        DialectResponse.SetSeed(http, result.Images[0].Seed);
        DialectResponse.SetWarnings(http, result.Warnings);
        return data;
    }
}
