using Gateway.Hosting;
using Gateway.Redis;

namespace Gateway.Cluster;

/// <summary>This node's place in its cluster: set only when <c>Gateway:Redis</c> is configured.</summary>
public sealed record ClusterNode(ClusterSettings Settings, string Role)
{
    public const string RoleApi = "api", RoleWorker = "worker", RoleBoth = "both";

    /// <summary>The cluster settings of <paramref name="options"/>, or null for a single node; throws
    /// <see cref="StartupException"/> for settings that cannot work.</summary>
    public static ClusterNode? From(GatewayOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Redis)) return null;
        var role = options.Role.Trim().ToLowerInvariant();
        if (role is not (RoleApi or RoleWorker or RoleBoth))
            throw new StartupException($"Gateway:Role must be api, worker or both (it is '{options.Role}').");
        var cluster = options.Cluster;
        if (!(cluster.LeaseSeconds >= 1) || !(cluster.HeartbeatSeconds > 0))
            throw new StartupException("Gateway:Cluster:LeaseSeconds must be at least 1 and HeartbeatSeconds positive.");
        if (cluster.HeartbeatSeconds * 3 > cluster.LeaseSeconds * 10)
            throw new StartupException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Gateway:Cluster:HeartbeatSeconds ({cluster.HeartbeatSeconds}) may be at most 10/3 of LeaseSeconds ({cluster.LeaseSeconds})."));
        if (cluster.MaxDeliveries < 1) throw new StartupException("Gateway:Cluster:MaxDeliveries must be at least 1.");
        var name = string.IsNullOrWhiteSpace(cluster.NodeName) ? $"{Environment.MachineName}-{Environment.ProcessId}" : cluster.NodeName.Trim();
        return new ClusterNode(new ClusterSettings
        {
            Configuration = options.Redis,
            NodeName = name,
            KeyPrefix = cluster.KeyPrefix,
            Lease = TimeSpan.FromSeconds(cluster.LeaseSeconds),
            MaxDeliveries = cluster.MaxDeliveries,
            Heartbeat = TimeSpan.FromSeconds(cluster.HeartbeatSeconds),
        }, role);
    }
}
