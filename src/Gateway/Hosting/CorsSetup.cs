namespace Gateway.Hosting;

/// <summary>
/// Cross-origin access for browser front-ends: <c>Gateway:Cors:Origins</c> lists the origins allowed to call the API
/// (e.g. <c>https://app.example.com</c>); none by default, so browsers keep other sites out.
/// </summary>
public static class CorsSetup
{
    public const string Section = "Gateway:Cors:Origins";
    private const string PolicyName = "Gateway";

    /// <summary>The response headers a browser script may read, besides the CORS-safelisted ones.</summary>
    private static readonly string[] ExposedHeaders =
        ["X-Seed", "X-Credits-Charged", "X-Warnings", "X-Ignored-Params", "Retry-After"];

    public static IServiceCollection AddGatewayCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection(Section).Get<string[]>() ?? [];
        services.AddCors(cors => cors.AddPolicy(PolicyName, policy =>
        {
            policy.WithOrigins(origins.Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0).ToArray())
                .AllowAnyHeader()
                .AllowAnyMethod()
                .WithExposedHeaders(ExposedHeaders);
        }));
        return services;
    }

    public static WebApplication UseGatewayCors(this WebApplication app)
    {
        app.UseCors(PolicyName);
        return app;
    }
}
