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
    public static async Task<IResult> HandleAsync(HttpContext http, DiffusionEngine engine, IImageStore store, OpenAiSettings settings)
    {
        // The client's disconnect cancels the body read, the queued or running generation and the encoding.
        var cancel = http.RequestAborted;
        var body = await JsonFields.ReadBodyAsync(http.Request, ImageGenerationFields.MaxBodyBytes, cancel);
        var call = ImageGenerationFields.Read(body, settings.DefaultModel);
        if (!engine.Catalog.TryGet(call.Model, out var model))
            throw new UnknownModelException(call.Model, engine.Catalog.Models.Select(m => m.Id));
        var size = OpenAiSizes.Resolve(model, call.Size, call.AspectRatio);
        var render = RenderSizePlanner.Plan(model, size);
        // Flux has no negative conditioning: the engine refuses a negative prompt, unless the client lets it be ignored.
        var ignored = call.IgnoredParams;
        var negativePrompt = call.NegativePrompt;
        if (model.Family.IsFlux() && negativePrompt.Length > 0 && call.AllowIgnoredParams)
            (negativePrompt, ignored) = ("", [.. ignored, "negative_prompt"]);

        var result = await engine.GenerateAsync(new GenerationRequest
        {
            Model = model.Id,
            Prompt = call.Prompt,
            NegativePrompt = negativePrompt,
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
                ? new GeneratedImageData(null, (await store.SaveAsync(encoded[i], call.OutputFormat, http.ClientId(), cancel)).AbsoluteUrl(http.Request), "", seed)
                : new GeneratedImageData(encoded[i], null, "", seed));
        }

        http.Response.Headers["X-Seed"] = result.Images[0].Seed.ToString(CultureInfo.InvariantCulture);
        if (ignored.Count > 0) http.Response.Headers["X-Ignored-Params"] = string.Join(", ", ignored);
        return Results.Json(new ImageGenerationResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data));
    }
}
