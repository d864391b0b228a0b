using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;

namespace Gateway.Tests.Sdxl;

/// <summary>The tiny SDXL family through the three dialects, over real HTTP.</summary>
public sealed class SdxlDialectTests : IAsyncLifetime
{
    private GatewayTestServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await GatewayTestServer.StartAsync(models: TestCatalogs.Sdxl);
        _client = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
    }

    private static PixelImage Decode(string base64) => ImageCodec.Decode(Convert.FromBase64String(base64), new ImageDecodeLimits());

    private static Dictionary<string, object?> Hyperbolic(params (string Name, object? Value)[] fields)
    {
        var body = new Dictionary<string, object?>
        {
            ["model_name"] = "tiny-sdxl", ["prompt"] = "a lighthouse at dusk", ["width"] = 128, ["height"] = 192, ["steps"] = 5, ["seed"] = 3,
        };
        foreach (var (name, value) in fields) body[name] = value;
        return body;
    }

    private async Task<byte[]> HyperbolicImage(Dictionary<string, object?> body) =>
        Convert.FromBase64String((await Ok(await _client.PostAsJsonAsync("/v1/image/generation", body)))
            .GetProperty("images")[0].GetProperty("image").GetString()!);

    [Fact]
    public async Task Hyperbolic_serves_sdxl_with_second_prompts_and_the_refiner()
    {
        var plain = await HyperbolicImage(Hyperbolic());
        var again = await HyperbolicImage(Hyperbolic());
        var second = await HyperbolicImage(Hyperbolic(("prompt_2", "a castle"), ("negative_prompt_2", "rain")));
        var refined = await HyperbolicImage(Hyperbolic(("enable_refiner", true)));
        Assert.Equal(plain, again);
        Assert.NotEqual(plain, second);
        Assert.NotEqual(plain, refined);
        var image = ImageCodec.Decode(refined, new ImageDecodeLimits());
        Assert.Equal((128, 192), (image.Width, image.Height));
    }

    [Fact]
    public async Task Hyperbolic_refuses_the_sdxl_fields_where_the_model_lacks_them_naming_each()
    {
        var error = await Error(await _client.PostAsJsonAsync("/v1/image/generation",
            Hyperbolic(("model_name", "tiny-sdxl-turbo"), ("enable_refiner", true))));
        Assert.Equal("enable_refiner", error.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
        Assert.Contains("tiny-sdxl-turbo", error.GetProperty("message").GetString());

        error = await Error(await _client.PostAsJsonAsync("/v1/image/generation", Hyperbolic(("model_name", "tiny-sd"), ("prompt_2", "a castle"))));
        Assert.Equal("prompt_2", error.GetProperty("param").GetString());

        error = await Error(await _client.PostAsJsonAsync("/v1/image/generation", Hyperbolic(("width", 130))));
        Assert.Equal("width", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task OpenAi_serves_turbo_at_its_native_size_and_sdxl_with_the_refiner()
    {
        var turbo = await Ok(await _client.PostAsJsonAsync("/v1/images/generations",
            new { model = "tiny-sdxl-turbo", prompt = "a lighthouse", size = "512x512", seed = 5 }));
        var image = Decode(turbo.GetProperty("data")[0].GetProperty("b64_json").GetString()!);
        Assert.Equal((512, 512), (image.Width, image.Height));

        var plain = await Ok(await _client.PostAsJsonAsync("/v1/images/generations",
            new { model = "tiny-sdxl", prompt = "a lighthouse", size = "512x512", seed = 5 }));
        var refined = await Ok(await _client.PostAsJsonAsync("/v1/images/generations",
            new { model = "tiny-sdxl", prompt = "a lighthouse", size = "512x512", seed = 5, refiner = true, prompt_2 = "oil painting" }));
        Assert.NotEqual(plain.GetProperty("data")[0].GetProperty("b64_json").GetString(), refined.GetProperty("data")[0].GetProperty("b64_json").GetString());

        var error = await Error(await _client.PostAsJsonAsync("/v1/images/generations",
            new { model = "tiny-sd", prompt = "a lighthouse", size = "512x512", refiner = true }));
        Assert.Equal("refiner", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task The_models_list_shows_families_refiners_and_native_sizes()
    {
        var models = (await Ok(await _client.GetAsync("/v1/models"))).GetProperty("data").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal("sdxl10", models["tiny-sdxl"].GetProperty("family").GetString());
        Assert.Equal("tiny-sdxl-refiner", models["tiny-sdxl"].GetProperty("refiner").GetString());
        Assert.Equal("1024x1024", models["tiny-sdxl"].GetProperty("native_size").GetString());
        Assert.Equal("sdxl-turbo", models["tiny-sdxl-turbo"].GetProperty("family").GetString());
        Assert.Equal("512x512", models["tiny-sdxl-turbo"].GetProperty("native_size").GetString());
        Assert.Equal(JsonValueKind.Null, models["tiny-sdxl-turbo"].GetProperty("refiner").ValueKind);
        Assert.Equal("sdxl-refiner", models["tiny-sdxl-refiner"].GetProperty("family").GetString());
    }

    [Fact]
    public async Task A_job_on_an_sdxl_model_runs_and_is_charged_by_pixels_and_steps()
    {
        var response = await _client.PostAsJsonAsync("/submit_job", new Dictionary<string, object>
        {
            ["job_id"] = "sdxl-job-1", ["model_id"] = "tiny-sdxl",
            ["model_input"] = new Dictionary<string, object>
            {
                ["SD"] = new { prompt = "a lighthouse", width = 256, height = 256, num_iterations = 4, seed = 9 },
            },
        });
        Assert.StartsWith("http", (await Ok(response)).GetString());
        var job = await Ok(await _client.GetAsync("/jobs/sdxl-job-1"));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        // 256² / 1024² × 4 / 20 steps × credit_multiplier 1.
        Assert.Equal(0.0125, job.GetProperty("credits").GetDouble(), 9);
    }

    [Fact]
    public void One_1024_image_at_20_steps_on_a_multiplier_1_model_is_one_credit() =>
        Assert.Equal(1.0, CreditCost.For(1024, 1024, 20, 1.0));
}
