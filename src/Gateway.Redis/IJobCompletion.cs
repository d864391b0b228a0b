using Gateway.Diffusion.Pipelines;

namespace Gateway.Redis;

/// <summary>What the host does for the cluster's worker that the engine library cannot: store a Jobs job's image where
/// every node serves images from, and describe a failure as the HTTP answer the waiting node gives.</summary>
public interface IJobCompletion
{
    /// <summary>Stores the job's image; returns its file name.</summary>
    Task<string> StoreAsync(ClusterJob job, GenerationResult result);

    /// <summary>Removes a stored image that lost the race to finish its job (another node finished it first).</summary>
    Task DiscardAsync(string fileName);

    /// <summary>The HTTP status, error code, parameter and client-facing message for a failed generation.</summary>
    (int Status, string Code, string? Param, string Message) Describe(Exception error);

    /// <summary>The ledger entry (JSON) recorded with a stored job's charge.</summary>
    string LedgerEntry(ClusterJob job, DateTimeOffset chargedAt);
}
