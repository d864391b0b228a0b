using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Tests.Support;

namespace Gateway.Tests.Cluster;

/// <summary>Gateway nodes as separate processes on one Redis and one shared data folder, each serving every API.</summary>
public sealed class ClusterNodes : IAsyncDisposable
{
    private readonly List<(GatewayProcess Process, HttpClient Client)> _nodes = [];

    private ClusterNodes(RedisServer redis, string dataDirectory) => (Redis, DataDirectory) = (redis, dataDirectory);

    public RedisServer Redis { get; }
    public string DataDirectory { get; }

    public HttpClient this[int node] => _nodes[node].Client;

    public int Count => _nodes.Count;

    public static async Task<ClusterNodes> StartAsync(params string[][] nodeSettings)
    {
        var redis = await RedisServer.StartAsync();
        var cluster = new ClusterNodes(redis, Directory.CreateTempSubdirectory("gateway-cluster-").FullName);
        var started = nodeSettings.Select((extra, i) => GatewayProcess.Start(cluster.DataDirectory,
        [
            "--Gateway:Redis", redis.Configuration, "--Gateway:Cluster:NodeName", $"node{i}",
            "--Gateway:Cluster:LeaseSeconds", "2", "--Gateway:Cluster:HeartbeatSeconds", "0.5",
            "--Gateway:ApiKeys:1", GatewayTestServer.OtherKey, "--Gateway:MaxBatchImages", "1", .. extra,
        ])).ToList();
        foreach (var process in started)
        {
            var address = await process.ReadyAsync();
            var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(3) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayTestServer.Key);
            cluster._nodes.Add((process, client));
        }
        await cluster.WaitForNodesAsync(nodeSettings.Length);
        return cluster;
    }

    /// <summary>A client of <paramref name="node"/> with another key.</summary>
    public HttpClient ClientOf(int node, string key)
    {
        var client = new HttpClient { BaseAddress = _nodes[node].Client.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public void Kill(int node) => _nodes[node].Process.Kill();

    /// <summary>Stops <paramref name="node"/> as a service manager does (SIGTERM) and waits for it to exit.</summary>
    public Task<int> StopAsync(int node)
    {
        _nodes[node].Process.Terminate();
        return _nodes[node].Process.ExitCodeAsync(TimeSpan.FromSeconds(60));
    }

    public string StandardError(int node) => _nodes[node].Process.StandardError;

    /// <summary>The log of <paramref name="node"/> (standard output).</summary>
    public string Log(int node) => _nodes[node].Process.StandardOutput;

    /// <summary>Waits until every node's heartbeat is in <c>/v1/cluster</c>, so each knows the others' models.</summary>
    public async Task WaitForNodesAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await ClusterAsync(0)).GetProperty("nodes").GetArrayLength() < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Fewer than {count} nodes sent a heartbeat within 30 s.");
            await Task.Delay(100);
        }
    }

    public async Task<System.Text.Json.JsonElement> ClusterAsync(int node)
    {
        using var response = await this[node].GetAsync("/v1/cluster");
        response.EnsureSuccessStatusCode();
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, client) in _nodes)
        {
            client.Dispose();
            process.Dispose();
        }
        await Redis.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
