using System.Text.Json;
using Gateway.Diffusion.Engine;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>What a node reports in its heartbeat; <paramref name="Costs"/> is what its runs of each model cost, for the
/// cluster's wait estimates.</summary>
public sealed record NodeReport(string Name, string Role, IReadOnlyList<string> Models, int Running, int Capacity,
    string ExecutionProvider, DateTimeOffset LastHeartbeat, IReadOnlyDictionary<string, RunCost> Costs)
{
    public bool Serves(string model) => Role != "api" && Models.Contains(model);
}

/// <summary>The cluster's nodes: each writes its report every heartbeat with an expiry of three beats, so a node that
/// stopped drops out of the list by itself.</summary>
public sealed class NodeDirectory(RedisCluster redis)
{
    public async Task BeatAsync(NodeReport report)
    {
        var key = redis.Key("node:" + report.Name);
        await redis.Database.StringSetAsync(key, JsonSerializer.Serialize(report, ClusterJson.Options), redis.Settings.Heartbeat * 3);
        await redis.Database.SortedSetAddAsync(redis.Key("nodes"), report.Name, report.LastHeartbeat.ToUnixTimeMilliseconds());
    }

    /// <summary>The nodes whose last heartbeat has not expired, by name.</summary>
    public async Task<IReadOnlyList<NodeReport>> LiveAsync()
    {
        var names = await redis.Database.SortedSetRangeByRankAsync(redis.Key("nodes"));
        if (names.Length == 0) return [];
        var values = await redis.Database.StringGetAsync(names.Select(n => (RedisKey)redis.Key("node:" + n)).ToArray());
        var live = new List<NodeReport>();
        for (var i = 0; i < names.Length; i++)
        {
            if (values[i].IsNull)
            {
                await redis.Database.SortedSetRemoveAsync(redis.Key("nodes"), names[i]);
                continue;
            }
            if (JsonSerializer.Deserialize<NodeReport>(values[i].ToString(), ClusterJson.Options) is { } report) live.Add(report);
        }
        return live.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }
}
