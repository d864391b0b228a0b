using System.Text.Json.Serialization;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;

namespace Gateway.Apis.Jobs;

/// <summary><c>GET /models</c>: the catalog in the shape of Heurist's model list (<c>name</c>, <c>type</c> = family,
/// <c>autofill</c> and <c>recommend</c> as comma-separated text; composite models with their <c>base</c>, <c>lora</c> and
/// <c>lora_weight</c>), with the defaults <c>submit_job</c> applies. Public,
/// like Heurist's list and <c>/readyz</c>.</summary>
public static class ModelsEndpoint
{
    private const int DefaultSide = 512;

    public static IResult Handle(DiffusionEngine engine) =>
        Results.Json(engine.Models.Select(status => Describe(status.Entry, status.State)).ToList());

    private static JobModelView Describe(ModelCatalogEntry model, ModelState state)
    {
        var side = Math.Min(DefaultSide, model.MaxSide / 8 * 8);
        return new JobModelView(model.Id, model.Family.ToName(), string.Join(", ", model.Autofill), string.Join(", ", model.Recommend),
            model.Description, model.CreditMultiplier, model.MaxSide, state.ToString().ToLowerInvariant(),
            new JobModelDefaults(side, side, model.DefaultSteps, model.DefaultGuidance, model.DefaultSampler),
            model.Composite?.Base, model.Composite?.Lora, model.Composite?.Weight);
    }

    public sealed record JobModelView(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("autofill")] string Autofill,
        [property: JsonPropertyName("recommend")] string Recommend,
        [property: JsonPropertyName("description")] string Description,
        [property: JsonPropertyName("credit_multiplier")] double CreditMultiplier,
        [property: JsonPropertyName("max_side")] int MaxSide,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("defaults")] JobModelDefaults Defaults,
        [property: JsonPropertyName("base")] string? Base,
        [property: JsonPropertyName("lora")] string? Lora,
        [property: JsonPropertyName("lora_weight")] double? LoraWeight);

    public sealed record JobModelDefaults(
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("num_iterations")] int Steps,
        [property: JsonPropertyName("guidance_scale")] double Guidance,
        [property: JsonPropertyName("sampler")] string Sampler);
}
