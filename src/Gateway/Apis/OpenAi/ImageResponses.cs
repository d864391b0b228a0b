using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Storage;

namespace Gateway.Apis.OpenAi;

/// <summary>The JSON answer of every OpenAI image endpoint: each image encoded (in parallel), then inline as base64 or
/// stored and linked, with the seeds and warnings in headers.</summary>
public static class ImageResponses
{
    public static async Task<List<GeneratedImageData>> DataAsync(HttpContext http, GenerationResult result,
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
