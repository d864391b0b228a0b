using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;
using OpenAI;

namespace Gateway.Tests.OpenAi;

public static class OpenAiTestSupport
{
    public const string GenerationsPath = "/v1/images/generations";

    /// <summary>The official SDK pointed at the server, as a user would set it up.</summary>
    public static OpenAIClient Sdk(this GatewayTestServer server, string key = GatewayTestServer.Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    public static Task<HttpResponseMessage> GenerateAsync(this HttpClient client, string json) =>
        client.PostAsync(GenerationsPath, new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>The <c>error</c> object of an envelope; fails unless the response is JSON in the shared shape.</summary>
    public static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = document.RootElement.GetProperty("error").Clone();
        foreach (var field in new[] { "message", "type", "param", "code" }) Assert.True(error.TryGetProperty(field, out _), field);
        return error;
    }

    /// <summary>Asserts the status and the envelope's <c>param</c> (and <c>code</c> when given).</summary>
    public static async Task<JsonElement> AssertError(HttpResponseMessage response, HttpStatusCode status, string? param, string? code = null)
    {
        Assert.Equal(status, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
        return error;
    }

    /// <summary>The response body of a successful generation.</summary>
    public static async Task<JsonElement> SuccessOf(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static byte[] ImageBytes(JsonElement item) => Convert.FromBase64String(item.GetProperty("b64_json").GetString()!);

    public static (int Width, int Height) SizeOf(byte[] encoded)
    {
        var image = ImageCodec.Decode(encoded, new ImageDecodeLimits());
        return (image.Width, image.Height);
    }

    /// <summary>The format by its magic bytes.</summary>
    public static ImageFormat FormatOf(byte[] encoded) => encoded switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => ImageFormat.Png,
        [0xFF, 0xD8, 0xFF, ..] => ImageFormat.Jpeg,
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => ImageFormat.Webp,
        _ => throw new Xunit.Sdk.XunitException("Not a PNG, JPEG or WebP image."),
    };
}
