using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;
using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>The one "unknown model" answer of every dialect: 404 <c>model_not_found</c>, naming the dialect's field.</summary>
public static class DialectModels
{
    public static ModelCatalogEntry Find(ModelCatalog catalog, string modelId, string field) =>
        catalog.TryGet(modelId, out var model)
            ? model
            : throw new ApiException(StatusCodes.Status404NotFound,
                new UnknownModelException(modelId, catalog.Models.Select(m => m.Id)).Message, field, "model_not_found");
}
