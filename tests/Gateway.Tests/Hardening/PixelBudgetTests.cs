using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hardening;

public sealed class PixelBudgetTests
{
    [Fact]
    public async Task Gateway_MaxPixelsPerRequest_refuses_larger_requests_with_a_400_in_each_dialect_s_words()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string> { ["Gateway:MaxPixelsPerRequest"] = "8192" });
        using var client = server.Client();

        using var many = await client.PostAsJsonAsync("/v1/image/generation",
            new { model_name = "tiny-sd", prompt = "a cat", width = 64, height = 64, steps = 1, n = 3 });
        Assert.Equal("n", (await ErrorOf(many)).GetProperty("param").GetString());

        using var large = await client.PostAsJsonAsync("/submit_job", new Dictionary<string, object>
        {
            ["job_id"] = "budget-1", ["model_id"] = "tiny-sd",
            ["model_input"] = new Dictionary<string, object> { ["SD"] = new { prompt = "a cat", width = 128, height = 128, num_iterations = 1 } },
        });
        Assert.Equal("model_input.SD.width", (await ErrorOf(large)).GetProperty("param").GetString());

        using var within = await client.PostAsJsonAsync("/v1/image/generation",
            new { model_name = "tiny-sd", prompt = "a cat", width = 64, height = 64, steps = 1, n = 2 });
        Assert.Equal(HttpStatusCode.OK, within.StatusCode);
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
    }
}
