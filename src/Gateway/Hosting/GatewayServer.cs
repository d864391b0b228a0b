using Gateway.Apis.Hyperbolic;
using Gateway.Apis.Jobs;
using Gateway.Apis.OpenAi;
using Gateway.Auth;
using Gateway.Diffusion.Engine;
using Gateway.Errors;
using Gateway.Storage;

namespace Gateway.Hosting;

/// <summary>Builds the HTTP server: configuration, the engine, model loading, shared services and the endpoints.</summary>
public static class GatewayServer
{
    public static WebApplication Build(string[] args)
    {
        // appsettings.json is read beside the application, whatever the working directory (as the CLI reads it).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (ListenAddresses.NoneConfigured(builder.Configuration)) builder.WebHost.UseUrls(ListenAddresses.Default);
        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(services => EngineFactory.Create(options, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(new ApiKeyRegistry(options.ApiKeys));
        builder.Services.AddGatewayStorage(builder.Configuration, options.DataDir);
        builder.Services.AddJobsApi(builder.Configuration);
        builder.Services.AddOpenAiApi();
        builder.Services.AddSingleton<Apis.Shared.Metering>();
        builder.Services.AddGatewaySwagger();
        builder.Services.AddGatewayCors(builder.Configuration);
        builder.Services.AddHostedService<ModelLoaderService>();
        // Answers carry megabytes of base64; the default encoder would escape every '+' in them as \u002B.
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes);

        var app = builder.Build();
        if (!app.Services.GetRequiredService<ApiKeyRegistry>().Enabled)
            app.Logger.LogWarning("No API keys are configured (Gateway:ApiKeys): every request is accepted without a key.");
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseGatewayCors();
        app.UseGatewaySwagger();

        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }))
            .WithTags("Health").WithSummary("Liveness: 200 {\"status\":\"ok\"} while the process serves HTTP.");
        app.MapGet("/readyz", (DiffusionEngine engine) =>
        {
            var models = engine.Models.Select(m => new { id = m.Entry.Id, state = m.State.ToString().ToLowerInvariant(), error = m.Error });
            return engine.IsReady
                ? Results.Ok(new { status = "ready", models })
                : Results.Json(new { status = "not_ready", models }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health")
            .WithSummary("Readiness: 200 once every model is loaded, else 503; each model's state and load error.")
            .Produces(StatusCodes.Status200OK).Produces(StatusCodes.Status503ServiceUnavailable);
        app.MapImageEndpoints();
        app.MapHyperbolicApi();
        app.MapOpenAiApi();
        app.MapJobsApi();
        return app;
    }
}
