using System.Net;
using System.Text.Json;
using Gateway.Diffusion.Prompts;
using Gateway.Diffusion.Schedulers;
using Gateway.Tests.Support;
using static Gateway.Tests.Hyperbolic.HyperbolicFixture;

namespace Gateway.Tests.Hyperbolic;

[Collection(HyperbolicCollection.Name)]
public sealed class HyperbolicGenerationTests(HyperbolicFixture server)
{
    [Fact]
    public async Task Text_to_image_answers_in_hyperbolic_shape()
    {
        var response = await server.GenerateAsync(Body(("width", 96), ("height", 64)));

        var image = Assert.Single(response.GetProperty("images").EnumerateArray());
        Assert.Equal(0, image.GetProperty("index").GetInt32());
        Assert.Equal(42UL, image.GetProperty("random_seed").GetUInt64());
        Assert.Equal((96, 64), (ImageOf(response).Width, ImageOf(response).Height));
        Assert.InRange(response.GetProperty("inference_time").GetDouble(), 0.0001, 60);
        Assert.Equal("onnxruntime", response.GetProperty("backend").GetString());
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_bytes()
    {
        var first = await server.GenerateAsync(Body());
        var again = await server.GenerateAsync(Body());
        Assert.Equal(first.GetProperty("images")[0].GetProperty("image").GetString(), again.GetProperty("images")[0].GetProperty("image").GetString());
    }

    [Fact]
    public async Task A_missing_seed_is_chosen_and_returned_in_the_body_and_the_header()
    {
        using var response = await server.PostAsync(Body(("seed", null)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var seed = body.GetProperty("images")[0].GetProperty("random_seed").GetUInt64();
        Assert.InRange(seed, 1UL, uint.MaxValue);
        Assert.Equal(seed.ToString(), Assert.Single(response.Headers.GetValues("X-Seed")));

        var replay = await server.GenerateAsync(Body(("seed", seed)));
        Assert.Equal(body.GetProperty("images")[0].GetProperty("image").GetString(), replay.GetProperty("images")[0].GetProperty("image").GetString());
    }

    [Fact]
    public async Task Three_images_have_consecutive_seeds_and_differ()
    {
        var response = await server.GenerateAsync(Body(("n", 3), ("seed", 1000)));

        var images = response.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], images.Select(i => i.GetProperty("index").GetInt32()));
        Assert.Equal([1000UL, 1001UL, 1002UL], images.Select(i => i.GetProperty("random_seed").GetUInt64()));
        Assert.Equal(3, images.Select(i => i.GetProperty("image").GetString()).Distinct().Count());

        // Each image can be made alone from its own seed.
        var second = await server.GenerateAsync(Body(("seed", 1001)));
        Assert.Equal(ImageOf(response, 1).Rgba, ImageOf(second).Rgba);
    }

    [Fact]
    public async Task Every_noise_prediction_sampler_renders()
    {
        foreach (var sampler in SchedulerFactory.Names.Where(n => !SchedulerFactory.IsFlowMatch(n)).Concat(["EulerDiscreteScheduler", "ddim"]))
        {
            var response = await server.GenerateAsync(Body(("sampler", sampler), ("steps", 3)));
            Assert.Equal((64, 64), (ImageOf(response).Width, ImageOf(response).Height));
        }
    }

    [Fact]
    public async Task Samplers_change_the_image()
    {
        var euler = await server.GenerateAsync(Body(("sampler", "Euler")));
        var ddim = await server.GenerateAsync(Body(("sampler", "DDIM")));
        Assert.NotEqual(ImageOf(euler).Rgba, ImageOf(ddim).Rgba);
    }

    [Fact]
    public async Task A_style_preset_changes_the_image_and_presets_differ()
    {
        var plain = ImageOf(await server.GenerateAsync(Body()));
        var anime = ImageOf(await server.GenerateAsync(Body(("style_preset", "anime"))));
        var pixel = ImageOf(await server.GenerateAsync(Body(("style_preset", "Pixel-Art"))));
        Assert.NotEqual(plain.Rgba, anime.Rgba);
        Assert.NotEqual(anime.Rgba, pixel.Rgba);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("torch")]
    [InlineData("tvm")]
    public async Task Every_backend_runs_on_onnx_runtime(string backend)
    {
        var response = await server.GenerateAsync(Body(("backend", backend)));
        Assert.Equal("onnxruntime", response.GetProperty("backend").GetString());
    }

    [Fact]
    public async Task Unused_sdxl_controlnet_and_lora_fields_are_accepted()
    {
        await server.GenerateAsync(Body(("prompt_2", ""), ("negative_prompt_2", ""), ("enable_refiner", false),
            ("controlnet_name", ""), ("loras", new Dictionary<string, double>())));
    }

    [Fact]
    public async Task The_default_size_is_1024_pixels()
    {
        var image = ImageOf(await server.GenerateAsync(Body(("width", null), ("height", null), ("steps", 1))));
        Assert.Equal((1024, 1024), (image.Width, image.Height));
    }

    [Fact]
    public async Task Steps_default_to_30_and_cfg_scale_to_5_not_the_models_defaults()
    {
        var defaults = ImageOf(await server.GenerateAsync(Body(("steps", null))));
        Assert.Equal(defaults.Rgba, ImageOf(await server.GenerateAsync(Body(("steps", 30), ("cfg_scale", 5.0)))).Rgba);
        Assert.NotEqual(defaults.Rgba, ImageOf(await server.GenerateAsync(Body(("steps", 20), ("cfg_scale", 7.5)))).Rgba);
    }

    [Fact]
    public async Task Style_presets_are_listed()
    {
        using var body = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/image/style-presets"));
        var presets = body.RootElement.GetProperty("style_presets").EnumerateArray().ToList();
        Assert.Equal(StylePresets.Names, presets.Select(p => p.GetProperty("name").GetString()));
        Assert.All(presets, p => Assert.Contains("{prompt}", p.GetProperty("prompt").GetString()));
        Assert.All(presets, p => Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("negative_prompt").GetString())));
    }

    [Fact]
    public async Task Samplers_are_listed_with_their_class_names()
    {
        using var body = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/image/samplers"));
        var samplers = body.RootElement.GetProperty("samplers").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()).ToList());
        Assert.Equal(SchedulerFactory.Names, samplers.Keys);
        Assert.Equal(["EulerAncestralDiscreteScheduler"], samplers["Euler a"]);
        Assert.Empty(samplers["DPM++ 2M Karras"]);
    }

    [Theory]
    [InlineData("POST", HyperbolicFixture.GenerationPath)]
    [InlineData("GET", "/v1/image/style-presets")]
    [InlineData("GET", "/v1/image/samplers")]
    public async Task Every_endpoint_needs_an_api_key(string method, string path)
    {
        using var anonymous = server.Server.Client(key: null);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = JsonContent(Body());
        using var response = await anonymous.SendAsync(request);
        var error = await ErrorOf(response, HttpStatusCode.Unauthorized);
        Assert.Equal("missing_api_key", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_other_key_is_served_too()
    {
        using var bob = server.Server.Client(GatewayTestServer.OtherKey);
        using var response = await bob.PostAsync(GenerationPath, JsonContent(Body()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static HttpContent JsonContent(object body) => System.Net.Http.Json.JsonContent.Create(body);
}
