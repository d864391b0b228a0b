using Gateway.Tests.Support;

namespace Gateway.Tests.Hardening;

/// <summary>One server shared by the tests of hostile input.</summary>
public sealed class HardeningFixture : IAsyncLifetime
{
    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GatewayTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class HardeningCollection : ICollectionFixture<HardeningFixture>
{
    public const string Name = "hardening";
}
