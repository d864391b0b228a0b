using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>Whether an exception means Redis is away for now (unreachable, too slow, or still loading its data after
/// a restart), as opposed to a command that is wrong: callers retry the first kind, and answer it 503.</summary>
public static class RedisOutage
{
    public static bool Is(Exception e) =>
        e is RedisConnectionException or RedisTimeoutException ||
        (e is RedisServerException server && server.Message.StartsWith("LOADING", StringComparison.Ordinal));
}
