using System.Globalization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.Swagger;

namespace Gateway.Hosting;

/// <summary>
/// The OpenAPI document of every dialect (Swashbuckle, from the endpoints' metadata), served at
/// <c>/swagger/v1/swagger.json</c> and <c>.yaml</c>, with Swagger UI at <c>/swagger</c>. The repository's openapi.yaml
/// is this document; <see cref="DocumentYamlAsync"/> writes it without starting the server.
/// </summary>
public static class SwaggerSetup
{
    public const string DocumentName = "v1";
    private const string BearerScheme = "Bearer";

    public static IServiceCollection AddGatewaySwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Gateway",
                Version = DocumentName,
                Description = "Self-hosted image generation on ONNX Runtime. Send the API key as 'Authorization: Bearer KEY'.",
            });
            options.SupportNonNullableReferenceTypes();
            options.SchemaFilter<SwaggerAllowedValuesFilter>();
            options.SchemaFilter<SwaggerExamplesFilter>();
            options.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key from Gateway:ApiKeys.",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [],
            });
        });
        return services;
    }

    public static WebApplication UseGatewaySwagger(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "swagger";
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "Gateway");
            options.DocumentTitle = "Gateway API";
        });
        return app;
    }

    /// <summary>The document as the server serves it at <c>/swagger/v1/swagger.yaml</c>, from an app that is built but
    /// will not be started (the <c>openapi</c> command).</summary>
    public static async Task<string> DocumentYamlAsync(WebApplication app)
    {
        // Endpoints reach the API explorer when the request pipeline is configured, which normally happens on start.
        app.UseRouting();
        app.UseEndpoints(_ => { });
        var document = await app.Services.GetRequiredService<IAsyncSwaggerProvider>().GetSwaggerAsync(DocumentName);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        document.SerializeAsV3(new OpenApiYamlWriter(text));
        return text.ToString();
    }
}
