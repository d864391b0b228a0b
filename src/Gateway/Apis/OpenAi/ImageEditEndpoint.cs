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

/// <summary>
/// <c>POST /v1/images/edits</c> and <c>POST /v1/images/variations</c>: multipart bodies with the image (and a mask) as
/// file parts, run as image-to-image or inpainting, answered like <c>/v1/images/generations</c> (edits also as a
/// stream of <c>image_edit.*</c> events). Each request is a job (<c>X-Job-Id</c>), as generations are.
/// </summary>
public static class ImageEditEndpoint
{
    /// <summary>How a masked edit was inpainted: <c>inpaint-model</c> or <c>masked-img2img</c>.</summary>
    public const string InpaintMethodHeader = "X-Inpaint-Method";

    public static Task<IResult> EditAsync(HttpContext http, DiffusionEngine engine, IGenerationService generator, IImageStore store, OpenAiSettings settings,
        Metering metering, ImageUrls urls, TrackedJobs tracked, GatewayOptions gateway, ImageOutput output) =>
        HandleAsync(http, new Services(engine, generator, store, settings, metering, urls, gateway, output), tracked, variation: false);

    public static Task<IResult> VariationAsync(HttpContext http, DiffusionEngine engine, IGenerationService generator, IImageStore store, OpenAiSettings settings,
        Metering metering, ImageUrls urls, TrackedJobs tracked, GatewayOptions gateway, ImageOutput output) =>
        HandleAsync(http, new Services(engine, generator, store, settings, metering, urls, gateway, output), tracked, variation: true);

    private sealed record Services(DiffusionEngine Engine, IGenerationService Generator, IImageStore Store, OpenAiSettings Settings, Metering Metering, ImageUrls Urls,
        GatewayOptions Gateway, ImageOutput Output);

    private static async Task<IResult> HandleAsync(HttpContext http, Services services, TrackedJobs tracked, bool variation)
    {
        EngineParamNames.Use(http, EngineParamNames.OpenAi);
        using var job = DialectJobs.Begin(http, tracked, "openai", new GenerationOptions { Client = http.ClientId() });
        try
        {
            return await RunAsync(http, services, job, variation);
        }
        catch (Exception e)
        {
            job.Fail(e);
            if (job.Answer(e) is var answer && answer != e) throw answer;
            throw;
        }
    }

    private static async Task<IResult> RunAsync(HttpContext http, Services services, TrackedJob job, bool variation)
    {
        // The client's disconnect cancels the body read, the queued or running generation and the encoding.
        var cancel = http.RequestAborted;
        var (engine, generator, store, settings, metering, urls, gateway, output) = services;
        var form = await FormFields.ReadBodyAsync(http.Request, gateway.MaxRequestBytes, ImageEditFields.MaxTextBytes, cancel);
        var call = variation ? ImageEditFields.ReadVariation(form, settings.DefaultModel) : ImageEditFields.ReadEdit(form, settings.DefaultModel);
        var model = DialectModels.Find(engine.Catalog, call.Model, "model");
        // Broken storage answers 503 before the generation, not after it.
        if (call.ResponseAsUrl) await store.EnsureWritableAsync();
        var image = await UploadedImages.DecodeImageAsync(call.Image, cancel);
        var mask = call.Mask is { } maskFile ? await UploadedImages.DecodeMaskAsync(maskFile, cancel) : null;
        var size = OpenAiSizes.ResolveForImage(model, call.Size, image);
        var render = RenderSizePlanner.Plan(model, size);

        var request = new GenerationRequest
        {
            Model = model.Id,
            Prompt = call.Prompt,
            NegativePrompt = call.NegativePrompt,
            Width = render.Width,
            Height = render.Height,
            Seed = call.Seed,
            ImageCount = call.Count,
            InitImage = new InitImage(image, call.Strength) { Mask = mask },
        };
        if (call.IgnoredParams.Count > 0) http.Response.Headers["X-Ignored-Params"] = string.Join(", ", call.IgnoredParams);
        // Priced as the generation of the same images.
        var price = Metering.Price(size.Width, size.Height, model.DefaultSteps, model.CreditMultiplier, call.Count);
        async Task<GenerationResult> Generate()
        {
            var result = await metering.RunAsync(http, "openai", request, size.Width, size.Height, model.DefaultSteps, price,
                () => generator.GenerateAsync(request, job.Options, job.Feed, job.Token));
            if (result.Inpainting is { } method && !http.Response.HasStarted)
                http.Response.Headers[InpaintMethodHeader] = method == InpaintMethod.InpaintModel ? "inpaint-model" : "masked-img2img";
            return result;
        }
        var answer = new ImageAnswer(OpenAiImageStream.EditPrefix, call.Stream, call.PartialImages, call.Seed, call.OutputFormat,
            call.ResponseAsUrl, size.Width, size.Height);
        return await ImageResponses.AnswerAsync(http, job, request, answer, Generate, output, store, urls, gateway);
    }
}
