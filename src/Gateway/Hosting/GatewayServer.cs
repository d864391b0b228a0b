using Gateway.Diffusion.Engine;

namespace Gateway.Hosting;

/// <summary>Builds the HTTP server: configuration, the engine, model loading and the endpoints.</summary>
public static class GatewayServer
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(services => EngineFactory.Create(options, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<ModelLoaderService>();

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/readyz", (DiffusionEngine engine) =>
        {
            var models = engine.Models.Select(m => new { id = m.Entry.Id, state = m.State.ToString().ToLowerInvariant(), error = m.Error });
            return engine.IsReady
                ? Results.Ok(new { status = "ready", models })
                : Results.Json(new { status = "not_ready", models }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}
