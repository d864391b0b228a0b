using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// The connection to the cluster's Redis, shared by everything on the node. Connecting never fails start-up and a lost
/// connection comes back by itself (StackExchange.Redis reconnects in the background); meanwhile commands throw
/// <see cref="RedisConnectionException"/>, which the host answers 503 with <c>Retry-After</c>.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;

    private RedisCluster(ConnectionMultiplexer connection, ClusterSettings settings)
    {
        _connection = connection;
        Settings = settings;
    }

    public ClusterSettings Settings { get; }

    public IDatabase Database => _connection.GetDatabase();

    public ISubscriber Subscriber => _connection.GetSubscriber();

    public bool IsConnected => _connection.IsConnected;

    public static RedisCluster Connect(ClusterSettings settings)
    {
        var options = ConfigurationOptions.Parse(settings.Configuration);
        options.AbortOnConnectFail = false;
        // Fail a command soon when Redis is away, so a request is answered 503 instead of hanging.
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 5000);
        options.SyncTimeout = Math.Min(options.SyncTimeout, 5000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 5000);
        options.ReconnectRetryPolicy = new LinearRetry(500);
        options.ClientName ??= settings.NodeName;
        return new RedisCluster(ConnectionMultiplexer.Connect(options), settings);
    }

    public string Key(string name) => Settings.KeyPrefix + name;

    /// <summary>Channel of the cluster's pub/sub messages named <paramref name="name"/>.</summary>
    public RedisChannel Channel(string name) => RedisChannel.Literal(Settings.KeyPrefix + name);

    /// <summary>Runs a state script with the key prefix as its first argument.</summary>
    internal Task<RedisResult> RunAsync(string script, params RedisValue[] args) =>
        Database.ScriptEvaluateAsync(script, keys: null, values: [Settings.KeyPrefix, .. args]);

    /// <summary>Creates the lease stream's consumer group once (it survives Redis restarts with AOF or RDB).</summary>
    internal async Task EnsureGroupAsync()
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(Key("run"), "workers", "0-0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another node (or an earlier start) created it.
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
