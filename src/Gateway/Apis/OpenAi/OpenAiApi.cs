using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Errors;

namespace Gateway.Apis.OpenAi;

/// <summary>Settings of the OpenAI dialect, from the <c>Gateway</c> configuration section.</summary>
/// <param name="DefaultModel"><c>Gateway:DefaultModel</c>: the model of requests that name none; null makes <c>model</c> required.</param>
public sealed record OpenAiSettings(string? DefaultModel);

/// <summary>The OpenAI-compatible endpoints: <c>/v1/images/generations</c>, <c>/edits</c>, <c>/variations</c> and <c>/v1/models</c>.</summary>
public static class OpenAiApi
{
    private const string Tag = "OpenAI";

    public static IServiceCollection AddOpenAiApi(this IServiceCollection services) =>
        services.AddSingleton(provider =>
        {
            var configured = provider.GetRequiredService<IConfiguration>()["Gateway:DefaultModel"];
            return new OpenAiSettings(string.IsNullOrWhiteSpace(configured) ? null : configured.Trim());
        });

    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/images/generations", ImageGenerationEndpoint.HandleAsync)
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("createImage")
            .WithSummary("Generate images from a prompt")
            .WithDescription("OpenAI-compatible text-to-image. Any field not listed is refused with 400 naming it, unless " +
                             "allow_ignored_params is true. The seed of the first image is also sent in the X-Seed header. " +
                             "With stream: true the answer is text/event-stream: image_generation.partial_image events " +
                             "(partial_images), then one image_generation.completed event per image. The request's job id " +
                             "(the X-Job-Id request header, or one made by the server) is answered in X-Job-Id; " +
                             "GET /jobs/{id}/events follows it and DELETE /jobs/{id} cancels it (409 job_cancelled).")
            .Accepts<ImageGenerationBody>("application/json")
            .Produces<ImageGenerationResponse>()
            .ProducesErrors(400, 401, 402, 404, 409, 413, 415, 429, 503);

        app.MapPost("/v1/images/edits", ImageEditEndpoint.EditAsync)
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("createImageEdit")
            .WithSummary("Edit an image: image-to-image, or inpainting with a mask")
            .WithDescription("OpenAI-compatible edits, multipart/form-data. Without a mask the image goes through image-to-image at " +
                             "strength 0.75; with a mask (transparent = repaint) it is inpainted, on the model's SD-inpaint export when the " +
                             "catalog has one (X-Inpaint-Method: inpaint-model), else by masked image-to-image (X-Inpaint-Method: " +
                             "masked-img2img); pixels the mask keeps come back as sent. Any field not listed is refused with 400 naming " +
                             "it, unless allow_ignored_params is true.")
            .Accepts<ImageEditBody>("multipart/form-data")
            .Produces<ImageGenerationResponse>()
            .ProducesErrors(400, 401, 402, 404, 413, 415, 429, 503);

        app.MapPost("/v1/images/variations", ImageEditEndpoint.VariationAsync)
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("createImageVariation")
            .WithSummary("Variations of an image")
            .WithDescription("OpenAI-compatible variations, multipart/form-data: the image through image-to-image with an empty prompt " +
                             "at strength 0.6, which keeps it recognisable; each image of n from its own seed.")
            .Accepts<ImageVariationBody>("multipart/form-data")
            .Produces<ImageGenerationResponse>()
            .ProducesErrors(400, 401, 402, 404, 413, 415, 429, 503);

        app.MapGet("/v1/models", (DiffusionEngine engine) => new ModelList(engine.Models.Select(ModelObject.From).ToList()))
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("listModels")
            .WithSummary("List the served models")
            .Produces<ModelList>()
            .ProducesErrors(401);

        // A catch-all, because catalog ids may contain '/'.
        app.MapGet("/v1/models/{**id}", (string id, DiffusionEngine engine) =>
                engine.Models.FirstOrDefault(m => m.Entry.Id == id) is { } status
                    ? ModelObject.From(status)
                    : throw new UnknownModelException(id, engine.Catalog.Models.Select(m => m.Id)))
            .RequireApiKey()
            .WithTags(Tag)
            .WithName("retrieveModel")
            .WithSummary("Describe one model")
            .Produces<ModelObject>()
            .ProducesErrors(401, 404);
        return app;
    }
}
