using Gateway.Redis;

namespace Gateway.Cluster;

/// <summary>Runs the node's <see cref="ClusterWorker"/> (pulling jobs, leases, heartbeat) while the server runs.</summary>
public sealed class ClusterWorkerService(ClusterWorker worker) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => worker.RunAsync(stoppingToken);
}
