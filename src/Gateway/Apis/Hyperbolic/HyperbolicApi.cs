using Gateway.Apis.Shared;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Prompts;
using Gateway.Diffusion.Schedulers;
using Gateway.Errors;
using Gateway.Hosting;

namespace Gateway.Apis.Hyperbolic;

/// <summary>The Hyperbolic-style image API: <c>POST /v1/image/generation</c> and the lists of its style presets, samplers and LoRAs.</summary>
public static class HyperbolicApi
{
    /// <summary>What runs every request, whichever of <see cref="HyperbolicRequest.Backends"/> it names.</summary>
    public const string Backend = "onnxruntime";

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

        return app;
    }

    private static async Task<HyperbolicGenerationResponse> GenerateAsync(
        HttpContext context, DiffusionEngine engine, GatewayOptions options, Metering metering, TrackedJobs tracked)
    {
        var cancel = context.RequestAborted;
        EngineParamNames.Use(context, EngineParamNames.Hyperbolic);
        var scheduling = new GenerationOptions { Client = context.ClientId() };
        using var job = DialectJobs.Begin(context, tracked, "hyperbolic", scheduling);
        try
        {
            var response = await RunAsync(context, engine, options, metering, job, cancel);
            job.Succeed(null);
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
        HttpContext context, DiffusionEngine engine, GatewayOptions options, Metering metering, TrackedJob job, CancellationToken cancel)
    {
        var body = await JsonFields.ReadBodyAsync(context.Request, options.MaxRequestBytes, cancel);
        var request = HyperbolicRequest.Read(body, engine.Catalog);
        var model = DialectModels.Find(engine.Catalog, request.Model, "model_name");
        var steps = request.Steps ?? HyperbolicRequest.DefaultSteps;
        var price = Metering.Price(request.Width, request.Height, steps, model.CreditMultiplier, request.ImageCount);
        var result = await metering.RunAsync(context, "hyperbolic", request, request.Width, request.Height, steps, price,
            () => engine.GenerateAsync(request, job.Options, job.Feed, job.Token));
        var encoded = await DialectImages.EncodeAsync(result.Images.Select(image => image.Image),
            image => ImageCodec.Encode(image, ImageFormat.Png), cancel);
        var images = result.Images.Select((image, index) => new HyperbolicImage(encoded[index], index, image.Seed)).ToList();
        DialectResponse.SetSeed(context, result.Images[0].Seed);
        DialectResponse.SetWarnings(context, result.Warnings);
        return new HyperbolicGenerationResponse(images, Math.Round(result.Timings.Total.TotalSeconds, 3), Backend);
    }
}
