using Gateway.Tests.Support;

namespace Gateway.Tests.Progress;

/// <summary>One server for the progress tests, with a heartbeat short enough to see, and deadlines long enough for a
/// holder job to be admitted behind the rough cost estimate of one tiny run.</summary>
public sealed class ProgressServer : IAsyncLifetime
{
    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:EventsHeartbeatSeconds"] = "0.2",
            ["Gateway:Jobs:MaxDeadlineSeconds"] = "1000000",
            // The other key has no credits: its generations are refused before any work.
            ["Gateway:Credits:Balances:0:Key"] = GatewayTestServer.OtherKey,
            ["Gateway:Credits:Balances:0:Credits"] = "0",
        });

    /// <summary>A job that holds the worker for many seconds (2048², 50 steps); tests end it with DELETE.</summary>
    public static Dictionary<string, object?> Holder(string jobId) => Jobs.JobsHttp.Job(jobId, 2048, 2048, 50, deadline: 1000000);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
