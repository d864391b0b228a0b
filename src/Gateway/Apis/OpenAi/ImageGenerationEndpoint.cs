using Gateway.Apis.Shared;
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
        Metering metering, ImageUrls urls, ImageOutput output)
    {
        // The client's disconnect cancels the body read, the queued or running generation and the encoding.
        var cancel = http.RequestAborted;
        EngineParamNames.Use(http, EngineParamNames.OpenAi);
        var body = await JsonFields.ReadBodyAsync(http.Request, ImageGenerationFields.MaxBodyBytes, cancel);
        var call = ImageGenerationFields.Read(body, settings.DefaultModel);
        var model = DialectModels.Find(engine.Catalog, call.Model, "model");
        var size = OpenAiSizes.Resolve(model, call.Size, call.AspectRatio);
        var render = RenderSizePlanner.Plan(model, size);
        // Broken storage answers 503 before the generation, not after it.
        if (call.ResponseAsUrl) await store.EnsureWritableAsync();
        // Flux has no negative conditioning: the engine refuses a negative prompt, unless the client lets it be ignored.
        var ignored = call.IgnoredParams;
        var negativePrompt = call.NegativePrompt;
        if (model.Family.IsFlux() && negativePrompt.Length > 0 && call.AllowIgnoredParams)
            (negativePrompt, ignored) = ("", [.. ignored, "negative_prompt"]);

        var request = new GenerationRequest
        {
            Model = model.Id,
            Prompt = call.Prompt,
            NegativePrompt = negativePrompt,
            Prompt2 = call.Prompt2,
            NegativePrompt2 = call.NegativePrompt2,
            UseRefiner = call.Refiner,
            Width = render.Width,
            Height = render.Height,
            Seed = call.Seed,
            ImageCount = call.Count,
        };
        // Charged for the images the client receives, at the model's steps: the price of the equivalent job.
        var price = Metering.Price(size.Width, size.Height, model.DefaultSteps, model.CreditMultiplier, call.Count);
        var result = await metering.RunAsync(http, "openai", request, size.Width, size.Height, model.DefaultSteps, price,
            () => engine.GenerateAsync(request, new GenerationOptions { Client = http.ClientId() }, cancel));

        var parameters = result.Images.Select((_, i) => GenerationParameters.Of(request, result, i, size.Width, size.Height)).ToList();
        var encoded = await DialectImages.EncodeAsync(result.Images.Select((image, i) => (Pixels: image.Image, Parameters: parameters[i])),
            image => output.Encode(ImageCodec.Resize(image.Pixels, size.Width, size.Height), call.OutputFormat, image.Parameters), cancel);
        var data = new List<GeneratedImageData>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var seed = result.Images[i].Seed;
            data.Add(call.ResponseAsUrl
                ? new GeneratedImageData(null, urls.For(http.Request, (await store.SaveAsync(encoded[i], call.OutputFormat, http.ClientId(), parameters[i], cancel)).FileName), "", seed)
                : new GeneratedImageData(encoded[i], null, "", seed));
        }

        DialectResponse.SetSeed(http, result.Images[0].Seed);
        DialectResponse.SetWarnings(http, result.Warnings);
        if (ignored.Count > 0) http.Response.Headers["X-Ignored-Params"] = string.Join(", ", ignored);
        return Results.Json(new ImageGenerationResponse(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), data));
    }
}
