using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.Hosting;

/// <summary>
/// Example values that work against the committed tiny models, so that Swagger UI's "Try it out" body runs as it is
/// instead of sending <c>"model": "string"</c>.
/// </summary>
public sealed class SwaggerExamplesFilter : ISchemaFilter
{
    private static readonly Dictionary<string, string> Examples = new(StringComparer.Ordinal)
    {
        ["model"] = "tiny-sd",
        ["model_name"] = "tiny-sd",
        ["model_id"] = "tiny-sd",
        ["prompt"] = "a lighthouse on a cliff at dusk",
        ["job_id"] = "job-1",
    };

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete) return;
        var name = context.MemberInfo?.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                   ?? context.ParameterInfo?.Member.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
        if (name is not null && Examples.TryGetValue(name, out var example)) concrete.Examples = [JsonValue.Create(example)];
    }
}
