using System.Net;
using System.Text.Json;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

public sealed class ServerStartupTests
{
    [Fact]
    public async Task Server_starts_over_http_and_becomes_ready_with_the_tiny_models()
    {
        await using var app = GatewayServer.Build(["--urls", "http://127.0.0.1:0", "--Gateway:ModelsDir", TestPaths.ModelsDirectory]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage ready;
        while ((ready = await http.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var states = body.RootElement.GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("state").GetString());
        Assert.Equal("ready", states["tiny-sd"]);
        Assert.Equal("ready", states["tiny-sd-fp16"]);
        await app.StopAsync();
    }
}
