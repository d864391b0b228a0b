using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Prompts;
using Gateway.Diffusion.Schedulers;
using Gateway.Errors;
using Gateway.Hosting;
using Gateway.Storage;

namespace Gateway.Apis.Hyperbolic;

/// <summary>The Hyperbolic-style image API: <c>POST /v1/image/generation</c> and the lists of its style presets, samplers, LoRAs and ControlNets.</summary>
public static class HyperbolicApi
{
    /// <summary>What runs every request, whichever of <see cref="HyperbolicRequest.Backends"/> it names.</summary>
    public const string Backend = "onnxruntime";

    private static readonly string[] ResponseFormats = ["b64_json", "url"];

    /// <summary>How the images leave: encoded with their parameters, and stored when the client asks for URLs.</summary>
    private sealed record Delivery(ImageOutput Output, IImageStore Store, ImageUrls Urls);

    public static IEndpointRouteBuilder MapHyperbolicApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/image").WithTags("Hyperbolic").RequireApiKey();

        group.MapPost("/generation", GenerateAsync)
            .WithName("HyperbolicGenerate")
            .WithSummary("Generate 1-4 images from a prompt, or from a base64 image and a strength (image-to-image).")
            .WithDescription("The request's job id (the X-Job-Id request header, or one made by the server) is answered in X-Job-Id; " +
                             "GET /jobs/{id}/events follows it and DELETE /jobs/{id} cancels it (409 job_cancelled).")
            .Accepts<HyperbolicGenerationRequestSchema>("application/json")
            .Produces<HyperbolicGenerationResponse>()
            .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status402PaymentRequired,
                StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests,
                StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/style-presets", () => new StylePresetList(
                StylePresets.All.Select(p => new StylePresetInfo(p.Name, p.PromptTemplate, p.NegativePrompt)).ToList()))
            .WithName("HyperbolicStylePresets")
            .WithSummary("The style_preset names, each with its prompt template ({prompt} marks the prompt) and negative additions.")
            .ProducesErrors(StatusCodes.Status401Unauthorized);

        group.MapGet("/samplers", () => new SamplerList(SchedulerFactory.Names
                .Select(name => new SamplerInfo(name, SchedulerFactory.ClassNames.Where(c => SchedulerFactory.DisplayName(c) == name).ToList()))
                .ToList()))
            .WithName("HyperbolicSamplers")
            .WithSummary("The sampler names, each with the diffusers class names that select it too.")
            .ProducesErrors(StatusCodes.Status401Unauthorized);

        group.MapGet("/loras", (DiffusionEngine engine) => LoraList.From(engine.Catalog))
            .WithName("HyperbolicLoras")
            .WithSummary("The LoRAs a request may name in `loras` (weight -2..2, at most 5), with the model families and models they apply to.")
            .ProducesErrors(StatusCodes.Status401Unauthorized);

        group.MapGet("/controlnets", (DiffusionEngine engine) => ControlNetList.From(engine))
            .WithName("HyperbolicControlNets")
            .WithSummary("The ControlNets a request may name in `controlnet_name` (or by their preprocessor: canny, depth, openpose, softedge), " +
                         "with the models they apply to, and the model aliases (e.g. SD1.5-ControlNet) that mean a model with its default ControlNet.")
            .ProducesErrors(StatusCodes.Status401Unauthorized);

        return app;
    }

    private static async Task<HyperbolicGenerationResponse> GenerateAsync(
        HttpContext context, DiffusionEngine engine, IGenerationService generator, GatewayOptions options, Metering metering, TrackedJobs tracked,
        ImageOutput output, IImageStore store, ImageUrls urls)
    {
        var cancel = context.RequestAborted;
        EngineParamNames.Use(context, EngineParamNames.Hyperbolic);
        var scheduling = new GenerationOptions { Client = context.ClientId() };
        using var job = DialectJobs.Begin(context, tracked, "hyperbolic", scheduling);
        try
        {
            var response = await RunAsync(context, engine, generator, options, metering, new Delivery(output, store, urls), job, cancel);
            job.Succeed(response.Images[0].Url);
            return response;
        }
        catch (Exception e)
        {
            job.Fail(e);
            if (job.Answer(e) is var answer && answer != e) throw answer;
            throw;
        }
    }

    private static async Task<HyperbolicGenerationResponse> RunAsync(
        HttpContext context, DiffusionEngine engine, IGenerationService generator, GatewayOptions options, Metering metering, Delivery delivery, TrackedJob job,
        CancellationToken cancel)
    {
        var body = await JsonFields.ReadBodyAsync(context.Request, options.MaxRequestBytes, cancel);
        // A Gateway extension, named as in the OpenAI dialect: "url" stores the images (in the key's history) instead of
        // sending them inline.
        var asUrl = body.Choice("response_format", ResponseFormats) == "url";
        var request = HyperbolicRequest.Read(body, engine.Catalog);
        var model = DialectModels.Find(engine.Catalog, request.Model, "model_name");
        var steps = request.Steps ?? HyperbolicRequest.DefaultSteps;
        // Broken storage answers 503 before the generation, not after it.
        if (asUrl) await delivery.Store.EnsureWritableAsync();
        var price = Metering.Price(request.Width, request.Height, steps, model.CreditMultiplier, request.ImageCount);
        var result = await metering.RunAsync(context, "hyperbolic", request, request.Width, request.Height, steps, price,
            () => generator.GenerateAsync(request, job.Options, job.Feed, job.Token));
        var parameters = result.Images.Select((_, i) => GenerationParameters.Of(request, result, i, request.Width, request.Height)).ToList();
        var encoded = await DialectImages.EncodeAsync(result.Images.Select((image, i) => (Pixels: image.Image, Parameters: parameters[i])),
            image => delivery.Output.Encode(image.Pixels, ImageFormat.Png, image.Parameters), cancel);
        var images = new List<HyperbolicImage>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var seed = result.Images[i].Seed;
            images.Add(asUrl
                ? new HyperbolicImage(null, i, seed)
                {
                    Url = delivery.Urls.For(context.Request,
                        (await delivery.Store.SaveAsync(encoded[i], ImageFormat.Png, context.ClientId(), parameters[i], cancel)).FileName),
                }
                : new HyperbolicImage(encoded[i], i, seed));
        }
        DialectResponse.SetSeed(context, result.Images[0].Seed);
        DialectResponse.SetWarnings(context, result.Warnings);
        return new HyperbolicGenerationResponse(images, Math.Round(result.Timings.Total.TotalSeconds, 3), Backend);
    }
}
