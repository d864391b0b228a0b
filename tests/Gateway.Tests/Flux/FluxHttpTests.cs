using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.Flux;

/// <summary>The tiny Flux models through all three dialects, on one server that loads only them.</summary>
public sealed class FluxHttpTests(FluxHttpTests.Server server) : IClassFixture<FluxHttpTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public GatewayTestServer Gateway { get; private set; } = null!;

        public async Task InitializeAsync() => Gateway = await GatewayTestServer.StartAsync(models: ["tiny-flux-schnell", "tiny-flux-dev"]);

        public async Task DisposeAsync() => await Gateway.DisposeAsync();
    }

    private const string HyperbolicPath = "/v1/image/generation";

    [Fact]
    public async Task OpenAi_serves_schnell_at_its_declared_size_and_a_seed_repeats_the_bytes()
    {
        using var client = server.Gateway.Client();
        const string json = """{"model":"tiny-flux-schnell","prompt":"a red fox in the snow","size":"512x512","seed":5}""";

        var first = await OpenAiTestSupport.SuccessOf(await client.GenerateAsync(json));
        var again = await OpenAiTestSupport.SuccessOf(await client.GenerateAsync(json));

        var bytes = OpenAiTestSupport.ImageBytes(first.GetProperty("data")[0]);
        Assert.Equal((512, 512), OpenAiTestSupport.SizeOf(bytes));
        Assert.Equal(bytes, OpenAiTestSupport.ImageBytes(again.GetProperty("data")[0]));
    }

    [Fact]
    public async Task OpenAi_refuses_a_negative_prompt_unless_ignored_params_are_allowed()
    {
        using var client = server.Gateway.Client();
        var refused = await client.GenerateAsync("""{"model":"tiny-flux-schnell","prompt":"a fox","size":"512x512","negative_prompt":"fog"}""");
        var error = await OpenAiTestSupport.AssertError(refused, HttpStatusCode.BadRequest, "negative_prompt");
        Assert.Contains("no negative conditioning", error.GetProperty("message").GetString());

        using var allowed = await client.GenerateAsync(
            """{"model":"tiny-flux-schnell","prompt":"a fox","size":"512x512","negative_prompt":"fog","allow_ignored_params":true}""");
        await OpenAiTestSupport.SuccessOf(allowed);
        Assert.Equal("negative_prompt", Assert.Single(allowed.Headers.GetValues("X-Ignored-Params")));
    }

    [Fact]
    public async Task Jobs_run_dev_and_charge_its_multiplier()
    {
        using var client = server.Gateway.Client();
        var job = new Dictionary<string, object?>
        {
            ["job_id"] = "flux-dev-1",
            ["model_id"] = "tiny-flux-dev",
            ["model_input"] = new Dictionary<string, object?>
            {
                ["SD"] = new Dictionary<string, object?>
                {
                    ["prompt"] = "a lighthouse at dusk", ["width"] = 128, ["height"] = 96, ["num_iterations"] = 3, ["guidance_scale"] = 4.5,
                },
            },
        };

        using var response = await client.PostAsJsonAsync("/submit_job", job);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var record = await client.GetFromJsonAsync<JsonElement>("/jobs/flux-dev-1");
        Assert.Equal("succeeded", record.GetProperty("status").GetString());
        Assert.Equal(CreditCost.For(128, 96, 3, 2.0), record.GetProperty("credits").GetDouble());
        var image = ImageCodec.Decode(await client.GetByteArrayAsync(JsonSerializer.Deserialize<string>(await response.Content.ReadAsStringAsync())),
            new ImageDecodeLimits());
        Assert.Equal((128, 96), (image.Width, image.Height));
    }

    [Fact]
    public async Task Hyperbolic_maps_cfg_scale_to_devs_guidance()
    {
        using var client = server.Gateway.Client();
        async Task<string> Generate(double cfgScale)
        {
            using var response = await client.PostAsJsonAsync(HyperbolicPath, Body("tiny-flux-dev", ("cfg_scale", cfgScale)));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return JsonDocument.Parse(text).RootElement.GetProperty("images")[0].GetProperty("image").GetString()!;
        }

        Assert.NotEqual(await Generate(2.0), await Generate(6.0));
    }

    [Theory]
    [InlineData("sampler", "Euler a")]
    [InlineData("negative_prompt", "fog")]
    public async Task Hyperbolic_refuses_what_flux_cannot_take(string field, string value)
    {
        using var client = server.Gateway.Client();
        using var response = await client.PostAsJsonAsync(HyperbolicPath, Body("tiny-flux-schnell", (field, value)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(field, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Hyperbolic_accepts_the_flow_matching_sampler()
    {
        using var client = server.Gateway.Client();
        using var response = await client.PostAsJsonAsync(HyperbolicPath, Body("tiny-flux-schnell", ("sampler", "Flow Euler")));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static Dictionary<string, object?> Body(string model, params (string Name, object Value)[] fields)
    {
        var body = new Dictionary<string, object?>
        {
            ["model_name"] = model, ["prompt"] = "a lighthouse at dusk", ["width"] = 128, ["height"] = 96, ["steps"] = 2, ["seed"] = 42,
        };
        foreach (var (name, value) in fields) body[name] = value;
        return body;
    }
}
