using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hyperbolic;

/// <summary>One server for every Hyperbolic test, with helpers that speak the dialect over real HTTP.</summary>
public sealed class HyperbolicFixture : IAsyncLifetime
{
    public const string GenerationPath = "/v1/image/generation";

    private GatewayTestServer? _server;
    private HttpClient? _client;

    public GatewayTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");
    public HttpClient Client => _client ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        _server = await GatewayTestServer.StartAsync();
        _client = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    /// <summary>A small, fast request on the tiny model; <paramref name="fields"/> add to or replace its fields (null removes one).</summary>
    public static Dictionary<string, object?> Body(params (string Name, object? Value)[] fields)
    {
        var body = new Dictionary<string, object?>
        {
            ["model_name"] = "tiny-sd",
            ["prompt"] = "a lighthouse at dusk",
            ["width"] = 64,
            ["height"] = 64,
            ["steps"] = 2,
            ["seed"] = 42,
        };
        foreach (var (name, value) in fields)
        {
            if (value is null) body.Remove(name);
            else body[name] = value;
        }
        return body;
    }

    public Task<HttpResponseMessage> PostAsync(object body) => Client.PostAsJsonAsync(GenerationPath, body);

    /// <summary>Posts and expects 200; returns the response body.</summary>
    public async Task<JsonElement> GenerateAsync(object body)
    {
        using var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Posts and expects an error envelope with <paramref name="status"/>; returns its <c>error</c> object.</summary>
    public async Task<JsonElement> RejectAsync(object body, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        using var response = await PostAsync(body);
        return await ErrorOf(response, status);
    }

    public static async Task<JsonElement> ErrorOf(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
    }

    /// <summary>The pixels of image <paramref name="index"/> of a response.</summary>
    public static PixelImage ImageOf(JsonElement response, int index = 0) =>
        ImageCodec.Decode(Convert.FromBase64String(response.GetProperty("images")[index].GetProperty("image").GetString()!), new ImageDecodeLimits());
}

[CollectionDefinition(Name)]
public sealed class HyperbolicCollection : ICollectionFixture<HyperbolicFixture>
{
    public const string Name = "hyperbolic";
}
