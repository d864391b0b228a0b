using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>Whether credits were reserved; if not, because the job already holds a reservation (a duplicate of a job in
/// progress), or because the key has only <paramref name="Left"/>.</summary>
public sealed record Reservation(bool Granted, bool Duplicate, double? Left);

/// <summary>
/// The cluster's credit ledger: per client what it spent and which jobs hold a reservation, changed only by scripts,
/// so concurrent jobs on any nodes cannot together spend more than a grant and a job is charged once.
/// </summary>
public sealed class ClusterCredits(RedisCluster redis)
{
    /// <summary>Reserves <paramref name="credits"/> for job <paramref name="reference"/> until <paramref name="expires"/>
    /// (when a node dies before the job is queued).</summary>
    public async Task<Reservation> ReserveAsync(string client, string reference, double credits, double? grant, DateTimeOffset expires)
    {
        var result = (RedisResult[])(await redis.RunAsync(ClusterScripts.Reserve, client, Number(credits),
            grant is { } g ? Number(g) : "", reference, expires.ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))!;
        return (long)result[0] switch
        {
            1 => new Reservation(true, false, null),
            2 => new Reservation(false, true, null),
            _ => new Reservation(false, false, double.Parse((string)result[1]!, CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>Turns the reservation into a charge; false when the job was charged already.</summary>
    public async Task<bool> ChargeAsync(string client, string reference, double credits, string ledgerEntry) =>
        (long)await redis.RunAsync(ClusterScripts.Charge, client, reference, Number(credits), ledgerEntry) == 1;

    public async Task ReleaseAsync(string client, string reference)
    {
        var batch = redis.Database.CreateBatch();
        var held = batch.HashDeleteAsync(redis.Key("reserved:" + client), reference);
        var expiry = batch.SortedSetRemoveAsync(redis.Key("reserved-until:" + client), reference);
        batch.Execute();
        await Task.WhenAll(held, expiry);
    }

    /// <summary>What the client spent, what its jobs hold now, and its latest ledger entries (JSON, newest first).</summary>
    public async Task<(double Spent, double Reserved, IReadOnlyList<string> Recent)> StatementAsync(string client, int recent)
    {
        var spent = await redis.Database.HashGetAsync(redis.Key("spent"), client);
        var held = await redis.Database.HashValuesAsync(redis.Key("reserved:" + client));
        var entries = recent > 0 ? await redis.Database.ListRangeAsync(redis.Key("ledger:" + client), 0, recent - 1) : [];
        return (spent.IsNull ? 0 : (double)spent, held.Sum(v => (double)v), entries.Select(e => e.ToString()).ToList());
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
