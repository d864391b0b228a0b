namespace Gateway.Cluster;

/// <summary>The <c>Gateway:Cluster</c> section: how a node with <c>Gateway:Redis</c> set takes part in its cluster.</summary>
public sealed class ClusterOptions
{
    /// <summary>This node's name (unique in the cluster); the host name and process id when unset.</summary>
    public string? NodeName { get; set; }

    /// <summary>Prefix of every Redis key, so that several clusters can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "gateway:";

    /// <summary>Seconds a running job's lease lasts unrenewed; a node silent for longer counts as dead and its jobs run
    /// again elsewhere.</summary>
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>Times a job may be started before it fails with <c>delivery_limit</c>.</summary>
    public int MaxDeliveries { get; set; } = 3;

    /// <summary>Seconds between a node's heartbeats.</summary>
    public double HeartbeatSeconds { get; set; } = 2;
}
