using System.Globalization;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Storage;

namespace Gateway.Apis.OpenAi;

/// <summary><c>POST /v1/images/generations</c>: validate, render (at the planned size), resize, encode, answer.</summary>
public static class ImageGenerationEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, DiffusionEngine engine, IImageStore store, OpenAiSettings settings,
        ImageUrls urls)
    {
        // The client's disconnect cancels the body read, the queued or running generation and the encoding.
        var cancel = http.RequestAborted;
        var body = await JsonFields.ReadBodyAsync(http.Request, ImageGenerationFields.MaxBodyBytes, cancel);
        var call = ImageGenerationFields.Read(body, settings.DefaultModel);
        if (!engine.Catalog.TryGet(call.Model, out var model))
            throw new UnknownModelException(call.Model, engine.Catalog.Models.Select(m => m.Id));
        var size = OpenAiSizes.Resolve(model, call.Size, call.AspectRatio);
        var render = RenderSizePlanner.Plan(model, size);
        // Broken storage answers 503 before the generation, not after it.
        if (call.ResponseAsUrl) await store.EnsureWritableAsync();

        var result = await engine.GenerateAsync(new GenerationRequest
        {
            Model = model.Id,
            Prompt = call.Prompt,
            NegativePrompt = call.NegativePrompt,
            Width = render.Width,
            Height = render.Height,
            Seed = call.Seed == 0 ? Seeds.Random() : call.Seed,
            ImageCount = call.Count,
        }, new GenerationOptions { Client = http.ClientId() }, cancel);

        // Images of a batch encode in parallel: PNG encoding must not dominate fast models.
        var encoded = await Task.WhenAll(result.Images.Select(image => Task.Run(() =>
            ImageCodec.Encode(ImageCodec.Resize(image.Image, size.Width, size.Height), call.OutputFormat), cancel)));
        var data = new List<GeneratedImageData>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var seed = result.Images[i].Seed;
            data.Add(call.ResponseAsUrl
                ? new GeneratedImageData(null, urls.For(http.Request, (await store.SaveAsync(encoded[i], call.OutputFormat, http.ClientId(), cancel)).FileName), "", seed)
                : new GeneratedImageData(encoded[i], null, "", seed));
        }

        http.Response.Headers["X-Seed"] = result.Images[0].Seed.ToString(CultureInfo.InvariantCulture);
        if (call.IgnoredParams.Count > 0) http.Response.Headers["X-Ignored-Params"] = string.Join(", ", call.IgnoredParams);
        return Results.Json(new ImageGenerationResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data));
    }
}
