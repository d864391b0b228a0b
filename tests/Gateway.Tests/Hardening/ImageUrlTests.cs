using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Hosting;
using Gateway.Tests.Jobs;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hardening;

/// <summary>Image URLs come from <c>Gateway:PublicBaseUrl</c> when set, and forwarded headers count only from trusted proxies.</summary>
public sealed class ImageUrlTests
{
    private const string UrlRequest = """{"model":"tiny-sd","prompt":"a lighthouse","size":"512x512","response_format":"url"}""";

    /// <summary>The URLs of one job (its submit_job answer and GET /jobs) and of one OpenAI url answer, sent with <paramref name="headers"/>.</summary>
    private static async Task<string[]> UrlsAsync(GatewayTestServer server, params (string Name, string Value)[] headers)
    {
        using var client = server.Client();
        foreach (var (name, value) in headers)
            if (name == "Host") client.DefaultRequestHeaders.Host = value;
            else client.DefaultRequestHeaders.Add(name, value);
        var jobId = Guid.NewGuid().ToString("N");
        using var submitted = await JobsHttp.SubmitAsync(client, JobsHttp.Job(jobId));
        Assert.Equal(HttpStatusCode.OK, submitted.StatusCode);
        var job = await JobsHttp.GetJobAsync(client, jobId);
        using var openAi = await client.PostAsync("/v1/images/generations", new StringContent(UrlRequest, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
        var data = (await openAi.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0];
        return [(await submitted.Content.ReadFromJsonAsync<string>())!, job.GetProperty("image_url").GetString()!, data.GetProperty("url").GetString()!];
    }

    [Fact]
    public async Task The_public_base_url_wins_over_the_host_header_and_forwarded_headers()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:PublicBaseUrl"] = "https://images.example.com/gateway/",
        });
        var urls = await UrlsAsync(server, ("Host", "evil.example"), ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "ftp"));
        Assert.All(urls, url => Assert.Matches("^https://images\\.example\\.com/gateway/images/[0-9a-f]{32}\\.png$", url));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_peer_are_ignored()
    {
        await using var server = await GatewayTestServer.StartAsync();
        var urls = await UrlsAsync(server, ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https"));
        Assert.All(urls, url => Assert.StartsWith($"http://{server.BaseAddress.Authority}/images/", url));
    }

    [Fact]
    public async Task Forwarded_headers_from_a_trusted_proxy_set_the_scheme_and_host()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:TrustedProxies:0"] = "127.0.0.0/8",
        });
        var urls = await UrlsAsync(server, ("X-Forwarded-Host", "public.example"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.9"));
        Assert.All(urls, url => Assert.StartsWith("https://public.example/images/", url));
    }

    [Theory]
    [InlineData("Gateway:PublicBaseUrl", "images.example.com")]
    [InlineData("Gateway:PublicBaseUrl", "https://images.example.com/?a=b")]
    [InlineData("Gateway:TrustedProxies:0", "proxy.local")]
    public void An_invalid_setting_stops_start_up_with_its_name(string setting, string value)
    {
        var error = Assert.Throws<StartupException>(() => GatewayServer.Build(["--Gateway:ModelsDir", TestPaths.ModelsDirectory, $"--{setting}", value]));
        Assert.Contains(setting.Split(':')[1], error.Message);
        Assert.Contains(value, error.Message);
    }
}
