using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>A job a worker holds: the lease stream entry it renews, and which start this is.</summary>
public sealed record ClusterLease(ClusterJob Job, string Entry, int Attempt);

/// <summary>Renewal's answer for one lease.</summary>
public enum LeaseState
{
    Held,
    /// <summary>Still held, and somebody asked for the job's cancellation.</summary>
    CancelRequested,
    /// <summary>Taken over by another node, or ended: stop working on it.</summary>
    Lost,
}

/// <summary>
/// The cluster's one queue, in Redis: jobs wait in one sorted set per model (priority, then fair turns between
/// clients, then arrival), and a running job is an entry of a Streams consumer group (<c>run</c>, group
/// <c>workers</c>) held by the node that took it: its lease. Every state change is one of <see cref="ClusterScripts"/>.
/// </summary>
public sealed class ClusterQueue(RedisCluster redis)
{
    public const string StatusQueued = "queued", StatusRunning = "running";

    private static string Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Records and queues <paramref name="job"/>; false when its owner already has a job with this id.</summary>
    /// <param name="units">Its work in cost units (steps × megapixels × images), for the cluster's wait estimates.</param>
    public async Task<bool> SubmitAsync(ClusterJob job, double units)
    {
        var retention = job.Store is null ? (long)redis.Settings.Retention.TotalSeconds : 0;
        var result = await redis.RunAsync(ClusterScripts.Submit, job.Ref, ClusterJson.Serialize(job), job.Request.Model,
            Math.Clamp(job.Priority, 0, 999_999), job.Owner, Now(),
            job.Deadline is { } deadline ? deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "",
            job.Dialect, Number(units), retention);
        return (long)result == 1;
    }

    /// <summary>Takes up to <paramref name="count"/> jobs for <paramref name="models"/>, best first; this node holds
    /// their leases from now on.</summary>
    public async Task<IReadOnlyList<ClusterLease>> TakeAsync(IReadOnlyCollection<string> models, int count)
    {
        if (models.Count == 0 || count <= 0) return [];
        RedisValue[] args = [redis.Settings.NodeName, Now(), count, .. models.Select(m => (RedisValue)m)];
        var taken = (RedisResult[])(await redis.RunAsync(ClusterScripts.Take, args))!;
        return taken.Select(t =>
        {
            var row = (RedisResult[])t!;
            return new ClusterLease(ClusterJson.Deserialize<ClusterJob>((string)row[3]!), (string)row[1]!, (int)row[2]);
        }).ToList();
    }

    /// <summary>Queues this node's running jobs again at once, as it stops; returns how many.</summary>
    public async Task<int> ReleaseAsync(IReadOnlyList<ClusterLease> leases)
    {
        if (leases.Count == 0) return 0;
        var args = new List<RedisValue> { redis.Settings.NodeName, Now() };
        foreach (var lease in leases)
        {
            args.Add(lease.Job.Ref);
            args.Add(lease.Entry);
        }
        return (int)await redis.RunAsync(ClusterScripts.Release, [.. args]);
    }

    /// <summary>Renews this node's leases; the answer says, for each, whether to go on.</summary>
    public async Task<IReadOnlyList<LeaseState>> RenewAsync(IReadOnlyList<ClusterLease> leases)
    {
        if (leases.Count == 0) return [];
        var args = new List<RedisValue> { redis.Settings.NodeName };
        foreach (var lease in leases)
        {
            args.Add(lease.Job.Ref);
            args.Add(lease.Entry);
        }
        var answers = (RedisResult[])(await redis.RunAsync(ClusterScripts.Renew, [.. args]))!;
        return answers.Select(a => (string?)a switch
        {
            "ok" => LeaseState.Held,
            "cancel" => LeaseState.CancelRequested,
            _ => LeaseState.Lost,
        }).ToList();
    }

    /// <summary>Records the job's images, and its charge when <paramref name="credits"/> &gt; 0 (once); false when the job
    /// had ended already, so these images are not its own.</summary>
    public async Task<bool> FinishAsync(string reference, string? imageFile, string? resultKey, double credits, string ledgerEntry)
    {
        var result = await redis.RunAsync(ClusterScripts.Finish, reference, Now(), imageFile ?? "", resultKey ?? "", Number(credits),
            ledgerEntry);
        return (long)result == 1;
    }

    /// <summary>Ends the job without images, unless it has ended; true when this call ended it.</summary>
    public async Task<bool> FailAsync(string reference, string status, string code, string message, string? param, int httpStatus)
    {
        var result = await redis.RunAsync(ClusterScripts.Fail, reference, Now(), status, code, message, param ?? "", httpStatus);
        return (long)result == 1;
    }

    /// <summary>Asks for the job's cancellation: a queued job ends at once; a running one stops on its node at its next
    /// step. Returns <c>dropped</c> (it was queued and has ended), <c>running</c>, the final status of a job that had
    /// ended, or <c>missing</c>.</summary>
    public async Task<string> CancelAsync(string reference, string code, string message) =>
        (string)(await redis.RunAsync(ClusterScripts.Cancel, reference, Now(), code, message))!;

    /// <summary>Takes over leases nobody renewed within the lease time and queues their jobs again; returns how many.</summary>
    public async Task<int> ReclaimAsync()
    {
        var result = await redis.RunAsync(ClusterScripts.Reclaim, redis.Settings.NodeName, Now(),
            (long)redis.Settings.Lease.TotalMilliseconds, redis.Settings.MaxDeliveries);
        return (int)result;
    }

    public async Task<ClusterJobState?> FindAsync(string reference) =>
        ClusterJobState.From(reference, await redis.Database.HashGetAllAsync(redis.Key("job:" + reference)));

    /// <summary>Records how far a running job got (for <c>GET /jobs</c> on any node).</summary>
    public Task SetStepAsync(string reference, int step) =>
        redis.Database.HashSetAsync(redis.Key("job:" + reference), "step", step, When.Always, CommandFlags.FireAndForget);

    /// <summary>Deletes a job record (one refused before it ran, so its id may be sent again).</summary>
    public Task ForgetAsync(string reference) => redis.Database.KeyDeleteAsync(redis.Key("job:" + reference));

    /// <summary>Every waiting job of <paramref name="models"/>, in the order the cluster would take them.</summary>
    public async Task<IReadOnlyList<WaitingJob>> WaitingAsync(IEnumerable<string> models)
    {
        var lists = await Task.WhenAll(models.Select(m => redis.Database.SortedSetRangeByRankAsync(redis.Key("ready:" + m))));
        return lists.SelectMany(members => members.Select(m => WaitingJob.Parse(m.ToString())))
            .OrderBy(w => w.Member, StringComparer.Ordinal).ToList();
    }

    /// <summary>Stores a synchronous job's result for the waiting node, for as long as the job's record stays.</summary>
    public async Task<string> PutResultAsync(string reference, string json)
    {
        var key = redis.Key("result:" + reference);
        await redis.Database.StringSetAsync(key, json, redis.Settings.Retention);
        return key;
    }

    public async Task<string?> TakeResultAsync(string resultKey) => await redis.Database.StringGetDeleteAsync(resultKey);
}

/// <summary>A waiting job as its model's queue orders it.</summary>
public sealed record WaitingJob(string Member, int Priority, string Ref)
{
    internal static WaitingJob Parse(string member) =>
        new(member, 999_999 - int.Parse(member.AsSpan(0, 6), CultureInfo.InvariantCulture), member[31..]);
}
