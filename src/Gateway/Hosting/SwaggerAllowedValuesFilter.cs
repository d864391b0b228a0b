using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.Hosting;

/// <summary>Documents a property's <see cref="AllowedValuesAttribute"/> as the schema's <c>enum</c>, which Swashbuckle does not.</summary>
public sealed class SwaggerAllowedValuesFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete || context.MemberInfo?.GetCustomAttribute<AllowedValuesAttribute>() is not { } allowed) return;
        concrete.Enum = allowed.Values.Select(value => (JsonNode)JsonValue.Create(value?.ToString())!).ToList();
    }
}
