using System.Net.Http.Headers;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Support;

/// <summary>
/// The real server on a loopback port with committed tiny models, a temporary data folder and two API keys.
/// Tests talk to it over real HTTP. Extra configuration (e.g. <c>Gateway:MaxQueueLength</c>) goes in as
/// command-line style pairs.
/// </summary>
public sealed class GatewayTestServer : IAsyncDisposable
{
    public const string Key = "sk-test-alice";
    public const string OtherKey = "sk-test-bob";

    private readonly bool _ownsDataDirectory;

    private GatewayTestServer(WebApplication app, string dataDirectory, bool ownsDataDirectory, Uri baseAddress)
    {
        App = app;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }
    public string DataDirectory { get; }
    public Uri BaseAddress { get; }

    /// <summary>Starts a server; give <paramref name="dataDirectory"/> to restart on an earlier server's data (it is then kept).
    /// It serves <paramref name="models"/> of the committed catalog (default: <see cref="TestCatalogs.Sd"/>).</summary>
    public static async Task<GatewayTestServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null, string? dataDirectory = null,
        IReadOnlyCollection<string>? models = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("gateway-data-").FullName;
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--Gateway:ModelsDir", TestCatalogs.For(models ?? TestCatalogs.Sd),
            "--Gateway:DataDir", dataDirectory,
            "--Gateway:ApiKeys:0", Key,
            "--Gateway:ApiKeys:1", OtherKey,
            "--Logging:LogLevel:Default", "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            args.AddRange([$"--{key}", value]);
        var app = GatewayServer.Build([.. args]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new GatewayTestServer(app, dataDirectory, owns, new Uri(address));
        await server.WaitUntilReadyAsync();
        return server;
    }

    /// <summary>An HTTP client for the server, with <paramref name="key"/> as its Bearer key (none when null).</summary>
    public HttpClient Client(string? key = Key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = Client(null);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await client.GetAsync("/readyz")).IsSuccessStatusCode) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("The test server did not become ready in 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (!_ownsDataDirectory) return;
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }
}
