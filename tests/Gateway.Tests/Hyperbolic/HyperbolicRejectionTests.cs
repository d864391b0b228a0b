using System.Net;
using Gateway.Apis.Hyperbolic;
using Gateway.Diffusion.Imaging;
using static Gateway.Tests.Hyperbolic.HyperbolicFixture;
using static Gateway.Tests.Hyperbolic.TestImages;

namespace Gateway.Tests.Hyperbolic;

[Collection(HyperbolicCollection.Name)]
public sealed class HyperbolicRejectionTests(HyperbolicFixture server)
{
    [Theory]
    [InlineData("model_name", null, "model_name", "is required")]
    [InlineData("prompt", null, "prompt", "is required")]
    [InlineData("prompt", "   ", "prompt", "must not be blank")]
    [InlineData("width", 100, "width", "multiple of 8")]
    [InlineData("height", 4096, "height", "from 64 to 2048")]
    [InlineData("width", 32, "width", "from 64 to 2048")]
    [InlineData("steps", 0, "steps", "from 1 to 150")]
    [InlineData("steps", 151, "steps", "from 1 to 150")]
    [InlineData("cfg_scale", 30.5, "cfg_scale", "from 0 to 30")]
    [InlineData("cfg_scale", "high", "cfg_scale", "must be a number")]
    [InlineData("seed", -1, "seed", "from 0 to 4294967295")]
    [InlineData("seed", 1.5, "seed", "must be an integer")]
    [InlineData("n", 5, "n", "from 1 to 4")]
    [InlineData("n", 0, "n", "from 1 to 4")]
    [InlineData("backend", "cuda", "backend", "auto, torch, tvm")]
    [InlineData("strength", 0.5, "strength", "only with 'image'")]
    [InlineData("cfg", 7, "cfg", "Unknown parameter 'cfg'")]
    public async Task Bad_fields_are_refused_naming_the_parameter(string field, object? value, string param, string message)
    {
        var body = Body((field, value));
        if (value is null) body.Remove(field);
        await Refused(body, param, message);
    }

    [Fact]
    public async Task Several_unknown_fields_are_all_named()
    {
        var error = await Refused(Body(("guidance", 7), ("size", "64x64")), "guidance", "'guidance', 'size'");
        Assert.Equal("unknown_parameter", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_unknown_sampler_lists_the_valid_ones()
    {
        await Refused(Body(("sampler", "Heun++")), "sampler", "Unknown sampler 'Heun++'. Valid samplers: Euler a, Euler, LMS, DPM++ 2M, DPM++ 2M Karras, DDIM, PNDM, LCM");
    }

    [Fact]
    public async Task An_unknown_style_preset_lists_the_valid_ones()
    {
        await Refused(Body(("style_preset", "watercolor")), "style_preset", "3d-model, analog-film, anime, cinematic, comic-book");
    }

    [Fact]
    public async Task An_unknown_model_is_404_listing_the_models()
    {
        var error = await server.RejectAsync(Body(("model_name", "SDXL1.0-base")), HttpStatusCode.NotFound);
        Assert.Equal("model_name", error.GetProperty("param").GetString());
        Assert.Contains("tiny-sd", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("prompt_2", "a second prompt", "second text encoder")]
    [InlineData("negative_prompt_2", "blurry", "second text encoder")]
    [InlineData("enable_refiner", true, "refiner")]
    [InlineData("controlnet_name", "canny", "ControlNet")]
    [InlineData("controlnet_image", "iVBORw0KGgo=", "ControlNet")]
    public async Task Sdxl_controlnet_fields_are_refused_on_a_model_without_them(string field, object value, string needs)
    {
        var error = await Refused(Body((field, value)), field, needs);
        Assert.Contains("model 'tiny-sd' (sd15)", error.GetProperty("message").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Loras_are_refused_on_a_model_without_them_and_must_be_name_to_scale()
    {
        await Refused(Body(("loras", new Dictionary<string, double> { ["Pixel_Art"] = 0.7 })), "loras", "LoRA");
        await Refused(Body(("loras", new[] { "Pixel_Art" })), "loras", "must be an object");
        await Refused(Body(("loras", new Dictionary<string, string> { ["Pixel_Art"] = "strong" })), "loras.Pixel_Art", "must be a number");
    }

    [Fact]
    public async Task Base64_over_20_MiB_is_refused_before_decoding()
    {
        // Valid base64 (of zero bytes), so only the length can refuse it; the body stays under the 32 MiB request limit.
        var error = await Refused(Body(("image", new string('A', Base64Image.MaxBase64Chars + 4))), "image", "the limit is 20 MiB");
        Assert.Equal("image_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Json_escapes_count_once_toward_the_base64_limit()
    {
        // The serializer writes '+' as \u002B: 4 MiB of base64 take 24 MiB of JSON, and still reach the decoder.
        var text = new string('+', 4 * 1024 * 1024);
        await Refused(Body(("image", text)), "image", "not a PNG, JPEG or WebP");
    }

    [Theory]
    [InlineData("not base64!", "not valid base64")]
    [InlineData("QUJD=", "not valid base64")]
    [InlineData("", "must not be empty")]
    [InlineData("data:image/png,iVBORw0KGgo=", "not a base64 one")]
    [InlineData("aGVsbG8sIHdvcmxkIQ==", "not a PNG, JPEG or WebP")]
    public async Task Text_that_is_not_an_image_is_refused(string image, string message)
    {
        await Refused(Body(("image", image)), "image", message);
    }

    [Fact]
    public async Task A_non_string_image_is_refused()
    {
        await Refused(Body(("image", 12)), "image", "must be a string");
    }

    [Fact]
    public async Task A_gif_is_refused_by_name()
    {
        // The smallest GIF: 1×1, one colour.
        byte[] gif = [
            0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00,
            0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
            0x02, 0x44, 0x01, 0x00, 0x3B,
        ];
        await Refused(Body(("image", Convert.ToBase64String(gif))), "image", "not GIF");
    }

    [Fact]
    public async Task A_truncated_png_is_refused()
    {
        var png = ImageCodec.Encode(Gradient(128, 128), ImageFormat.Png);
        await Refused(Body(("image", Convert.ToBase64String(png.AsSpan(0, png.Length / 2)))), "image", "truncated");
    }

    [Fact]
    public async Task An_image_over_16_megapixels_is_refused()
    {
        // A solid image compresses to a few kilobytes, so only its dimensions can refuse it.
        var png = ImageCodec.Encode(Solid(4097, 4097, 10, 20, 30), ImageFormat.Png);
        await Refused(Body(("image", Convert.ToBase64String(png))), "image", "4097x4097");
    }

    [Fact]
    public async Task An_image_too_small_to_keep_its_size_asks_for_width_and_height()
    {
        var image = Base64(Gradient(60, 200));
        await Refused(Body(("width", null), ("height", null), ("image", image)), "image", "send 'width' and 'height'");
        await server.GenerateAsync(Body(("image", image)));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused()
    {
        using var content = new StringContent("{\"model_name\": ", System.Text.Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync(GenerationPath, content);
        var error = await ErrorOf(response, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_json", error.GetProperty("code").GetString());
    }

    private async Task<System.Text.Json.JsonElement> Refused(object body, string param, string message)
    {
        var error = await server.RejectAsync(body);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        return error;
    }
}
