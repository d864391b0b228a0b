using System.Text.Json.Serialization;
using Gateway.Diffusion.Engine;

namespace Gateway.Apis.Hyperbolic;

/// <summary>The answer of <c>GET /v1/image/controlnets</c>: the ControlNets a request may name in <c>controlnet_name</c>,
/// and the model aliases that mean a model with its default ControlNet.</summary>
public sealed record ControlNetList(
    [property: JsonPropertyName("controlnets")] IReadOnlyList<ControlNetInfo> ControlNets,
    [property: JsonPropertyName("aliases")] IReadOnlyList<ControlNetAlias> Aliases)
{
    public static ControlNetList From(DiffusionEngine engine)
    {
        var catalog = engine.Catalog;
        var nets = catalog.ControlNets.Select(c =>
        {
            var (ready, error) = engine.ControlNetState(c.Id);
            var models = catalog.Models.Where(m => m.ControlNet is not null && c.AppliesToFamily(m.Family)).Select(m => m.Id).ToList();
            return new ControlNetInfo(c.Id, c.Family, c.Preprocessor, c.DefaultScale, models,
                ready ? "ready" : error is null ? "not_loaded" : "failed", error, c.Description);
        }).ToList();
        var aliases = catalog.Models.Where(m => m.ControlNet?.Alias is not null)
            .Select(m => new ControlNetAlias(m.ControlNet!.Alias!, m.Id, m.ControlNet.DefaultControlNet!)).ToList();
        return new ControlNetList(nets, aliases);
    }
}

/// <param name="State"><c>ready</c>, <c>failed</c> (see <c>error</c>) or <c>not_loaded</c> (no catalog model can use it).</param>
public sealed record ControlNetInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("preprocessor")] string Preprocessor,
    [property: JsonPropertyName("default_scale")] double DefaultScale,
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("description")] string Description);

public sealed record ControlNetAlias(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("controlnet")] string ControlNet);
