using Gateway.Tests.Support;

namespace Gateway.Tests.Jobs;

/// <summary>One server for every test of a class whose jobs are small and independent (distinct job ids).</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GatewayTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
