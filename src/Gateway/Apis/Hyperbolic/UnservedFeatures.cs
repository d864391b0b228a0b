using Gateway.Diffusion.Models;
using Gateway.Errors;

namespace Gateway.Apis.Hyperbolic;

/// <summary>
/// Fields of Hyperbolic's schema for capabilities that no served model has yet: ControlNet. They are
/// type-checked like any other field; a request that leaves them empty passes, and one that
/// uses them is refused naming the model, so nothing a client asked for is silently ignored.
/// </summary>
internal static class UnservedFeatures
{
    public static void Refuse(JsonFields body, ModelCatalogEntry model)
    {
        var uses = new (string Field, bool Used, string Needs)[]
        {
            ("controlnet_name", !string.IsNullOrEmpty(body.String("controlnet_name")), "a ControlNet"),
            ("controlnet_image", !string.IsNullOrEmpty(body.String("controlnet_image")), "a ControlNet"),
        };
        foreach (var (field, used, needs) in uses)
        {
            if (used)
                throw ApiException.BadRequest(field,
                    $"'{field}' needs {needs}, which model '{model.Id}' ({model.Family.ToName()}) does not have.", "unsupported_parameter");
        }
    }
}
