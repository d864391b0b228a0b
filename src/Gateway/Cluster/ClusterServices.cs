using Gateway.Auth;
using Gateway.Errors;
using Gateway.Diffusion.Engine;
using Gateway.Hosting;
using Gateway.Redis;

namespace Gateway.Cluster;

public static class ClusterServices
{
    /// <summary>The generation service every dialect uses: this process's engine, or, with <c>Gateway:Redis</c>, the
    /// cluster's queue, the node's worker and the cluster's job records and credits.</summary>
    public static IServiceCollection AddGatewayCluster(this IServiceCollection services, ClusterNode? node, GatewayOptions options)
    {
        if (node is null)
        {
            services.AddSingleton<IGenerationService>(provider => provider.GetRequiredService<DiffusionEngine>());
            return services;
        }
        services.AddSingleton(node);
        services.AddSingleton(_ => RedisCluster.Connect(node.Settings));
        services.AddSingleton(provider => new ClusterGenerationService(provider.GetRequiredService<RedisCluster>(),
            provider.GetRequiredService<DiffusionEngine>(), options.MaxQueueLength, provider.GetRequiredService<ILogger<ClusterGenerationService>>()));
        services.AddSingleton<IGenerationService>(provider => provider.GetRequiredService<ClusterGenerationService>());
        services.AddSingleton(provider => new ClusterCredits(provider.GetRequiredService<RedisCluster>()));
        services.AddSingleton<IJobCompletion, ClusterJobCompletion>();
        services.AddSingleton(provider => new ClusterWorker(provider.GetRequiredService<RedisCluster>(), provider.GetRequiredService<DiffusionEngine>(),
            provider.GetRequiredService<IJobCompletion>(), node.Role, provider.GetRequiredService<ILogger<ClusterWorker>>()));
        services.AddHostedService<ClusterWorkerService>();
        services.AddSingleton<ClusterJobRunner>();
        return services;
    }

    /// <summary><c>GET /v1/cluster</c>: the live nodes, their models, load and last heartbeat, and the waiting jobs.</summary>
    public static IEndpointRouteBuilder MapClusterEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", async (IServiceProvider services, DiffusionEngine engine) =>
            {
                if (services.GetService<ClusterGenerationService>() is not { } cluster)
                    return Results.Json(new ClusterView(false, null, [], 0));
                var nodes = await cluster.Nodes.LiveAsync();
                var waiting = await cluster.Queue.WaitingAsync(engine.Catalog.Models.Select(m => m.Id));
                return Results.Json(new ClusterView(true, services.GetRequiredService<ClusterNode>().Settings.NodeName,
                    nodes.Select(n => new ClusterNodeView(n.Name, n.Role, n.Models, n.Running, n.Capacity, n.ExecutionProvider,
                        Storage.Timestamps.ToText(n.LastHeartbeat))).ToList(), waiting.Count));
            })
            .RequireApiKey()
            .WithTags("Cluster")
            .WithName("getCluster")
            .WithSummary("The cluster's live nodes (models, running jobs, capacity, last heartbeat) and how many jobs wait")
            .Produces<ClusterView>()
            .ProducesErrors(401, 503);
        return app;
    }

    public sealed record ClusterView(
        [property: System.Text.Json.Serialization.JsonPropertyName("clustered")] bool Clustered,
        [property: System.Text.Json.Serialization.JsonPropertyName("node")] string? Node,
        [property: System.Text.Json.Serialization.JsonPropertyName("nodes")] IReadOnlyList<ClusterNodeView> Nodes,
        [property: System.Text.Json.Serialization.JsonPropertyName("waiting")] int Waiting);

    public sealed record ClusterNodeView(
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("role")] string Role,
        [property: System.Text.Json.Serialization.JsonPropertyName("models")] IReadOnlyList<string> Models,
        [property: System.Text.Json.Serialization.JsonPropertyName("running")] int Running,
        [property: System.Text.Json.Serialization.JsonPropertyName("capacity")] int Capacity,
        [property: System.Text.Json.Serialization.JsonPropertyName("execution_provider")] string ExecutionProvider,
        [property: System.Text.Json.Serialization.JsonPropertyName("last_heartbeat")] string LastHeartbeat);
}
