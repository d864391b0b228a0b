using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;
using Gateway.Storage;
using Gateway.Streaming;

namespace Gateway.Apis.OpenAi;

/// <summary><c>POST /v1/images/generations</c>: validate, render (at the planned size), resize, encode, answer as one
/// JSON body or, with <c>stream</c>, as OpenAI's image streaming events. The request is a job (<c>X-Job-Id</c>) that
/// <c>GET /jobs/{id}/events</c> follows and <c>DELETE /jobs/{id}</c> cancels.</summary>
public static class ImageGenerationEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext http, DiffusionEngine engine, IGenerationService generator, IImageStore store, OpenAiSettings settings,
        Metering metering, ImageUrls urls, TrackedJobs tracked, GatewayOptions gateway, ImageOutput output)
    {
        EngineParamNames.Use(http, EngineParamNames.OpenAi);
        using var job = DialectJobs.Begin(http, tracked, "openai", new GenerationOptions { Client = http.ClientId() });
        try
        {
            return await RunAsync(http, engine, generator, store, settings, metering, urls, job, gateway, output);
        }
        catch (Exception e)
        {
            job.Fail(e);
            if (job.Answer(e) is var answer && answer != e) throw answer;
            throw;
        }
    }

    private static async Task<IResult> RunAsync(HttpContext http, DiffusionEngine engine, IGenerationService generator, IImageStore store, OpenAiSettings settings,
        Metering metering, ImageUrls urls, TrackedJob job, GatewayOptions gateway, ImageOutput output)
    {
        // The client's disconnect cancels the body read, the queued or running generation and the encoding.
        var cancel = http.RequestAborted;
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
        if (ignored.Count > 0) http.Response.Headers["X-Ignored-Params"] = string.Join(", ", ignored);
        // Charged for the images the client receives, at the model's steps: the price of the equivalent job.
        var price = Metering.Price(size.Width, size.Height, model.DefaultSteps, model.CreditMultiplier, call.Count);
        Task<GenerationResult> Generate() => metering.RunAsync(http, "openai", request, size.Width, size.Height, model.DefaultSteps, price,
            () => generator.GenerateAsync(request, job.Options, job.Feed, job.Token));
        var answer = new ImageAnswer(OpenAiImageStream.GenerationPrefix, call.Stream, call.PartialImages, call.Seed, call.OutputFormat,
            call.ResponseAsUrl, size.Width, size.Height);
        return await ImageResponses.AnswerAsync(http, job, request, answer, Generate, output, store, urls, gateway);
    }
}
