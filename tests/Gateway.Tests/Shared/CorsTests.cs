using System.Net;
using Gateway.Tests.Support;

namespace Gateway.Tests.Shared;

public sealed class CorsTests
{
    [Fact]
    public async Task A_preflight_from_a_configured_origin_succeeds_and_one_from_another_does_not()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:Cors:Origins:0"] = "https://app.example.com",
        });
        using var client = server.Client(null);

        using var allowed = await client.SendAsync(Preflight("https://app.example.com"));
        Assert.True(allowed.IsSuccessStatusCode);
        Assert.Equal("https://app.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
        Assert.Contains("authorization", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant(),
            StringComparison.Ordinal);

        using var other = await client.SendAsync(Preflight("https://evil.example.net"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Without_configured_origins_no_origin_is_allowed()
    {
        await using var server = await GatewayTestServer.StartAsync();
        using var client = server.Client(null);

        using var response = await client.SendAsync(Preflight("https://app.example.com"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/images/generations");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }
}
