namespace Gateway.Redis;

/// <summary>How a node takes part in a cluster.</summary>
public sealed record ClusterSettings
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>redis:6379</c> or <c>10.0.0.5:6379,password=…</c>.</summary>
    public required string Configuration { get; init; }

    /// <summary>This node's name in the cluster (unique; the host name and process id by default).</summary>
    public required string NodeName { get; init; }

    /// <summary>Prefix of every key, so that several clusters can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "gateway:";

    /// <summary>How long a running job's lease lasts without renewal; a node silent for longer is taken to be dead and
    /// its jobs run again elsewhere. Renewed every third of it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Times a job may be started before it fails (each node that ran it stopped before it finished).</summary>
    public int MaxDeliveries { get; init; } = 3;

    /// <summary>How often a node tells the cluster it is alive, what it serves and how loaded it is.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a synchronous dialect's finished job (and any job's events) stay readable.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromMinutes(10);
}
