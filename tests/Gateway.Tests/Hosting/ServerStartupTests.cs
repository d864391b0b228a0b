using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hosting;

public sealed class ServerStartupTests
{
    [Fact]
    public async Task Server_starts_over_http_and_becomes_ready_with_the_tiny_models()
    {
        // StartAsync returns once /readyz has answered 200.
        await using var server = await GatewayTestServer.StartAsync();
        using var http = server.Client(key: null);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        using var body = JsonDocument.Parse(await http.GetStringAsync("/readyz"));
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        var states = body.RootElement.GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("state").GetString());
        Assert.Equal("ready", states["tiny-sd"]);
        Assert.Equal("ready", states["tiny-sd-fp16"]);
    }

    [Fact]
    public async Task Readiness_is_503_while_no_model_can_serve()
    {
        using var models = new TempModels("""{ "models": [ { "id": "absent", "family": "sd15", "native_size": "512x512", "default_steps": 4, "default_guidance": 7.5 } ] }""");
        await using var app = Gateway.Hosting.GatewayServer.Build(["--urls", "http://127.0.0.1:0", "--Gateway:ModelsDir", models.Path,
            "--Gateway:DataDir", models.Path, "--Logging:LogLevel:Default", "None"]);
        await app.StartAsync();
        var address = app.Urls.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonDocument? body = null;
        while (DateTime.UtcNow < deadline)
        {
            var response = await http.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (body.RootElement.GetProperty("models")[0].GetProperty("state").GetString() == "failed") break;
            await Task.Delay(50);
        }
        Assert.Contains("does not exist", body!.RootElement.GetProperty("models")[0].GetProperty("error").GetString());
        await app.StopAsync();
    }

    private sealed class TempModels : IDisposable
    {
        public TempModels(string catalog)
        {
            Path = Directory.CreateTempSubdirectory("gateway-models-").FullName;
            File.WriteAllText(System.IO.Path.Combine(Path, "models.json"), catalog);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
