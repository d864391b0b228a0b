using Gateway.Apis.Hyperbolic;
using Gateway.Apis.Jobs;
using Gateway.Apis.OpenAi;
using Gateway.Auth;
using Gateway.Cluster;
using Gateway.Diffusion.Engine;
using Gateway.Errors;
using Gateway.Storage;

namespace Gateway.Hosting;

/// <summary>Builds the HTTP server: configuration, the engine, model loading, shared services and the endpoints.</summary>
public static class GatewayServer
{
    /// <summary>Runs the server until it is stopped; returns 1, after one line on standard error, when it cannot start
    /// as configured (see <see cref="StartupException"/>).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
            // Opened before the host starts, so that a broken data folder stops start-up with its own message.
            app.Services.GetRequiredService<DiffusionEngine>();
            app.Services.GetRequiredService<SqliteImageStore>();
            app.Services.GetRequiredService<JobStore>();
        }
        catch (Exception e) when (e is StartupException or StorageUnavailableException)
        {
            // A database another process keeps locked through start-up is as fatal as a broken folder.
            await Console.Error.WriteLineAsync($"gateway: {e.Message}");
            return 1;
        }
        await using (app) await app.RunAsync();
        return 0;
    }

    public static WebApplication Build(string[] args)
    {
        // appsettings.json is read beside the application, whatever the working directory (as the CLI reads it).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (ListenAddresses.NoneConfigured(builder.Configuration)) builder.WebHost.UseUrls(ListenAddresses.Default);
        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        EngineFactory.Check(options);
        var cluster = ClusterNode.From(options);
        builder.Services.AddSingleton(options);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(Math.Max(0, options.ShutdownTimeoutSeconds)));
        builder.Services.AddSingleton(services => EngineFactory.Create(options, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(new ApiKeyRegistry(options.ApiKeys));
        builder.Services.AddGatewayStorage(builder.Configuration, options.DataDir, sharedByNodes: cluster is not null);
        builder.Services.AddGatewayCluster(cluster, options);
        builder.Services.AddSingleton(new ImageUrls(options.PublicBaseUrl));
        builder.Services.AddJobsApi(builder.Configuration);
        builder.Services.AddOpenAiApi();
        builder.Services.AddSingleton<Apis.Shared.Metering>();
        builder.Services.AddSingleton<Apis.Shared.ImageOutput>();
        builder.Services.AddSingleton<Apis.Shared.TrackedJobs>();
        builder.Services.AddGatewaySwagger();
        builder.Services.AddGatewayCors(builder.Configuration);
        builder.Services.AddHostedService<ModelLoaderService>();
        // Answers carry megabytes of base64; the default encoder would escape every '+' in them as \u002B.
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.ConfigureEndpointDefaults(listen => listen.UseErrorEnvelope());
        });

        var proxies = ProxyHeaders.OptionsFor(options.TrustedProxies);

        var app = builder.Build();
        // First, so that everything after sees the client's scheme and host as the trusted proxy reports them.
        if (proxies is not null) app.UseForwardedHeaders(proxies);
        if (!app.Services.GetRequiredService<ApiKeyRegistry>().Enabled)
            app.Logger.LogWarning("No API keys are configured (Gateway:ApiKeys): every request is accepted without a key.");
        if (!app.Services.GetRequiredService<ImageUrls>().HasPublicBase)
            app.Logger.LogWarning("Gateway:PublicBaseUrl is not set: image URLs are built from each request's Host header; set it in production.");
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseGatewayCors();
        app.UseGatewaySwagger();
        app.UseStudio();

        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }))
            .WithTags("Health").WithSummary("Liveness: 200 {\"status\":\"ok\"} while the process serves HTTP.");
        app.MapGet("/readyz", async (DiffusionEngine engine, IServiceProvider services) =>
        {
            var models = engine.Models.Select(m => new { id = m.Entry.Id, state = m.State.ToString().ToLowerInvariant(), error = m.Error });
            // A cluster node serves only while it reaches Redis: its queue, records and credits live there.
            var redis = services.GetService<Redis.RedisCluster>() is { } cluster ? await RedisStateAsync(cluster) : null;
            // ...and once the cluster knows which of its models it serves, so that every node admits them.
            var announced = services.GetService<Redis.ClusterWorker>()?.Announced ?? true;
            var ready = engine.IsReady && redis is null or "reachable" && announced;
            return Results.Json(new { status = ready ? "ready" : "not_ready", models, redis },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health")
            .WithSummary("Readiness: 200 once every model is loaded (and, on a cluster node, Redis answers and the node's heartbeat announces its models), else 503; each model's state and load error.")
            .Produces(StatusCodes.Status200OK).Produces(StatusCodes.Status503ServiceUnavailable);
        app.MapClusterEndpoint();
        app.MapImageEndpoints();
        app.MapImageHistory();
        app.MapHyperbolicApi();
        app.MapOpenAiApi();
        app.MapJobsApi(clustered: cluster is not null);
        return app;
    }

    private static async Task<string> RedisStateAsync(Redis.RedisCluster cluster)
    {
        try
        {
            await cluster.Database.PingAsync();
            return "reachable";
        }
        catch (Exception e) when (Redis.RedisOutage.Is(e))
        {
            return "unreachable";
        }
    }
}
