using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Hyperbolic;
using Gateway.Tests.Support;
using static Gateway.Tests.Hyperbolic.TestImages;

namespace Gateway.Tests.ControlNets;

/// <summary>A server with tiny-sd, tiny-sdxl and their ControlNets.</summary>
public sealed class ControlNetServer : IAsyncLifetime
{
    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GatewayTestServer.StartAsync(models: TestCatalogs.ControlNet);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>ControlNet through the Hyperbolic dialect over real HTTP: SD 1.5 and SDXL, the aliases, the list, and the 400s.</summary>
public sealed class ControlNetHttpTests(ControlNetServer shared) : IClassFixture<ControlNetServer>
{
    private readonly GatewayTestServer _server = shared.Server;

    /// <summary>Hard edges for the canny preprocessor: a bright square on a dark gradient.</summary>
    private static readonly string Shapes = Base64(Square(96, 96));

    private static PixelImage Square(int width, int height)
    {
        var image = Gradient(width, height);
        for (var y = height / 4; y < 3 * height / 4; y++)
            for (var x = width / 4; x < width / 2; x++)
                (image.Rgba[4 * (y * width + x)], image.Rgba[4 * (y * width + x) + 1], image.Rgba[4 * (y * width + x) + 2]) = (250, 250, 250);
        return image;
    }

    private static Dictionary<string, object?> Body(params (string Name, object? Value)[] fields) =>
        HyperbolicFixture.Body([("width", 128), ("height", 128), ("steps", 3), .. fields]);

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(object body)
    {
        using var client = _server.Client();
        using var response = await client.PostAsJsonAsync(HyperbolicFixture.GenerationPath, body);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private async Task<string> Image(object body)
    {
        var (status, answer) = await PostAsync(body);
        Assert.True(status == HttpStatusCode.OK, answer.ToString());
        return answer.GetProperty("images")[0].GetProperty("image").GetString()!;
    }

    private async Task<JsonElement> Refused(object body, string param, string message, string? code = null)
    {
        var (status, answer) = await PostAsync(body);
        Assert.True(status == HttpStatusCode.BadRequest, answer.ToString());
        var error = answer.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
        return error;
    }

    [Fact]
    public async Task Sd15_canny_over_http_differs_from_the_plain_model_and_repeats_per_seed()
    {
        var plain = await Image(Body());
        var canny = await Image(Body(("controlnet_name", "canny"), ("controlnet_image", Shapes)));
        var alias = await Image(Body(("model_name", "SD1.5-ControlNet"), ("controlnet_image", Shapes)));
        var byId = await Image(Body(("controlnet_name", "tiny-sd-canny"), ("controlnet_image", Shapes), ("controlnet_conditioning_scale", 1.0)));
        var scaleZero = await Image(Body(("controlnet_name", "canny"), ("controlnet_image", Shapes), ("controlnet_conditioning_scale", 0)));

        Assert.NotEqual(plain, canny);
        Assert.Equal(canny, alias);
        Assert.Equal(canny, byId);
        Assert.Equal(plain, scaleZero);
    }

    [Fact]
    public async Task Sdxl_controlnet_over_http_through_its_alias_and_every_sd_control_type()
    {
        var xlPlain = await Image(Body(("model_name", "tiny-sdxl")));
        var xl = await Image(Body(("model_name", "SDXL-ControlNet"), ("controlnet_image", Shapes)));
        Assert.NotEqual(xlPlain, xl);
        Assert.Equal(xl, await Image(Body(("model_name", "tiny-sdxl"), ("controlnet_name", "canny"), ("controlnet_image", Shapes))));

        var maps = new HashSet<string>();
        foreach (var type in new[] { "canny", "depth", "openpose", "softedge" })
            Assert.True(maps.Add(await Image(Body(("controlnet_name", type), ("controlnet_image", Shapes)))), type);
        var raw = await Image(Body(("controlnet_name", "depth"), ("controlnet_image", Shapes), ("controlnet_preprocess", false)));
        Assert.DoesNotContain(raw, maps);
    }

    [Fact]
    public async Task The_controlnet_list_names_each_with_its_family_preprocessor_models_and_the_aliases()
    {
        using var client = _server.Client();
        var list = await client.GetFromJsonAsync<JsonElement>("/v1/image/controlnets");
        var nets = list.GetProperty("controlnets").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!);
        Assert.Equal(["tiny-sd-canny", "tiny-sd-depth", "tiny-sd-openpose", "tiny-sd-softedge", "tiny-sdxl-canny"], nets.Keys);
        var depth = nets["tiny-sd-depth"];
        Assert.Equal("sd15", depth.GetProperty("family").GetString());
        Assert.Equal("depth", depth.GetProperty("preprocessor").GetString());
        Assert.Equal("ready", depth.GetProperty("state").GetString());
        Assert.Equal(["tiny-sd"], depth.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(1.0, depth.GetProperty("default_scale").GetDouble());
        var aliases = list.GetProperty("aliases").EnumerateArray()
            .Select(a => (a.GetProperty("name").GetString(), a.GetProperty("model").GetString(), a.GetProperty("controlnet").GetString()));
        Assert.Equal([("SD1.5-ControlNet", "tiny-sd", "tiny-sd-canny"), ("SDXL-ControlNet", "tiny-sdxl", "tiny-sdxl-canny")], aliases);
    }

    [Fact]
    public async Task A_missing_image_is_400_naming_controlnet_image()
    {
        await Refused(Body(("controlnet_name", "canny")), "controlnet_image", "ControlNet 'canny' needs 'controlnet_image'");
        await Refused(Body(("model_name", "SD1.5-ControlNet")), "controlnet_image", "ControlNet 'tiny-sd-canny' needs 'controlnet_image'");
        await Refused(Body(("controlnet_image", Shapes)), "controlnet_name", "'controlnet_image' needs 'controlnet_name'");
        await Refused(Body(("controlnet_conditioning_scale", 0.5)), "controlnet_name", "'controlnet_conditioning_scale' needs 'controlnet_name'");
    }

    [Fact]
    public async Task An_unknown_controlnet_is_400_naming_controlnet_name_with_the_ones_there_are()
    {
        await Refused(Body(("controlnet_name", "scribble"), ("controlnet_image", Shapes)), "controlnet_name",
            "Unknown ControlNet 'scribble'. ControlNets for model 'tiny-sd': tiny-sd-canny (canny), tiny-sd-depth (depth)");
    }

    [Fact]
    public async Task A_controlnet_of_another_family_is_400_naming_controlnet_name()
    {
        await Refused(Body(("controlnet_name", "tiny-sdxl-canny"), ("controlnet_image", Shapes)), "controlnet_name",
            "ControlNet 'tiny-sdxl-canny' is a sdxl ControlNet; model 'tiny-sd' is sd15");
        await Refused(Body(("model_name", "tiny-sdxl"), ("controlnet_name", "tiny-sd-depth"), ("controlnet_image", Shapes)), "controlnet_name",
            "ControlNet 'tiny-sd-depth' is a sd15 ControlNet; model 'tiny-sdxl' is sdxl10");
    }

    [Theory]
    [InlineData("not base64 at all!", "not valid base64")]
    [InlineData("aGVsbG8gd29ybGQ=", "")]
    public async Task An_undecodable_image_is_400_naming_controlnet_image(string image, string message)
    {
        await Refused(Body(("controlnet_name", "canny"), ("controlnet_image", image)), "controlnet_image", message);
    }

    [Theory]
    [InlineData("controlnet_conditioning_scale", 2.5, "from 0 to 2")]
    [InlineData("controlnet_preprocess", "yes", "must be true or false")]
    [InlineData("control_guidance_start", 1.5, "from 0 to 1")]
    [InlineData("controlnet_canny_high", 5000, "from 0 to 1000")]
    public async Task Bad_settings_are_400_naming_the_field(string field, object value, string message)
    {
        await Refused(Body(("controlnet_name", "canny"), ("controlnet_image", Shapes), (field, value)), field, message);
    }

    [Fact]
    public async Task Settings_that_contradict_each_other_or_a_lora_are_refused()
    {
        await Refused(Body(("controlnet_name", "canny"), ("controlnet_image", Shapes), ("control_guidance_start", 0.6), ("control_guidance_end", 0.4)),
            "control_guidance_start", "must be below control_guidance_end");
        await Refused(Body(("controlnet_name", "canny"), ("controlnet_image", Shapes), ("loras", new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.5 })),
            "loras", "cannot combine them with a ControlNet", "unsupported_parameter");
    }
}
