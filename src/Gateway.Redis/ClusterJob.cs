using Gateway.Diffusion.Pipelines;

namespace Gateway.Redis;

/// <summary>
/// A generation as it travels between nodes: what to draw, whose it is and how to schedule it, and what the node that
/// runs it does with the images. Plain data (<see cref="ClusterJson"/>), so any node can run it.
/// </summary>
public sealed record ClusterJob
{
    /// <summary>The client (API key id) the job belongs to; job ids are unique per client.</summary>
    public required string Owner { get; init; }
    public required string JobId { get; init; }
    /// <summary><c>jobs</c>, <c>openai</c> or <c>hyperbolic</c>.</summary>
    public required string Dialect { get; init; }
    public required GenerationRequest Request { get; init; }
    public int Priority { get; init; } = 1;
    public DateTimeOffset? Deadline { get; init; }
    /// <summary>Set for a Jobs job: the node that runs it stores the image and charges it, so the job completes even
    /// when the node that took the request is gone. Null: the result goes back to the waiting node.</summary>
    public StoredCompletion? Store { get; init; }

    /// <summary>The job's name in Redis: owner and job id (an owner never contains ':').</summary>
    public string Ref => RefOf(Owner, JobId);

    public static string RefOf(string owner, string jobId) => $"{owner}:{jobId}";
}

/// <summary>What a stored job is charged once its image is stored.</summary>
public sealed record StoredCompletion(double Credits, int Steps);
