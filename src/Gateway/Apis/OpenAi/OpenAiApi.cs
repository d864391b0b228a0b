using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Errors;

namespace Gateway.Apis.OpenAi;

/// <summary>Settings of the OpenAI dialect, from the <c>Gateway</c> configuration section.</summary>
/// <param name="DefaultModel"><c>Gateway:DefaultModel</c>: the model of requests that name none; null makes <c>model</c> required.</param>
public sealed record OpenAiSettings(string? DefaultModel);

/// <summary>The OpenAI-compatible endpoints: <c>/v1/images/generations</c> and <c>/v1/models</c>.</summary>
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
