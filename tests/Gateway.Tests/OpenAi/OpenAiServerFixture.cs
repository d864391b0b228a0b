using System.Security.Cryptography;
using System.Text;
using Gateway.Tests.Support;

namespace Gateway.Tests.OpenAi;

/// <summary>One server with the committed tiny models for the OpenAI tests, with a third key configured by its hash.</summary>
public sealed class OpenAiServerFixture : IAsyncLifetime
{
    public const string HashedKey = "sk-test-carol";

    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:ApiKeys:2"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(HashedKey))),
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class OpenAiCollection : ICollectionFixture<OpenAiServerFixture>
{
    public const string Name = "openai";
}
