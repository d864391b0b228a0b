using System.Text.Json;
using Gateway.Apis.Hyperbolic;
using Gateway.Errors;
using static Gateway.Tests.Hyperbolic.TestImages;

namespace Gateway.Tests.Hyperbolic;

public sealed class Base64ImageTests
{
    [Fact]
    public void The_limit_is_exactly_20_MiB_of_base64_text()
    {
        // Zero bytes are valid base64 but no image: passing the length check shows as the decoder's refusal.
        Assert.Contains("not a PNG", Refusal(Json(new string('A', Base64Image.MaxBase64Chars))).Message);
        var over = Refusal(Json(new string('A', Base64Image.MaxBase64Chars + 1)));
        Assert.Equal("image_too_large", over.Code);
        Assert.Contains("20.0 MiB of base64", over.Message);
    }

    [Fact]
    public void Escaped_characters_count_as_one()
    {
        var escaped = JsonDocument.Parse("\"" + string.Concat(Enumerable.Repeat("\\u0041", Base64Image.MaxBase64Chars / 4)) + "\"").RootElement;
        Assert.Contains("not a PNG", Refusal(escaped).Message);
    }

    [Fact]
    public void A_data_url_and_plain_base64_decode_alike()
    {
        var png = Base64(Gradient(16, 8));
        var plain = Base64Image.Decode(Json(png), "image");
        var dataUrl = Base64Image.Decode(Json("data:image/png;base64," + png), "image");
        Assert.Equal((16, 8), (plain.Width, plain.Height));
        Assert.Equal(plain.Rgba, dataUrl.Rgba);
    }

    [Fact]
    public void Errors_name_the_given_parameter()
    {
        Assert.Equal("controlnet_image", Assert.Throws<ApiException>(() => Base64Image.Decode(Json("%%%"), "controlnet_image")).Param);
    }

    private static JsonElement Json(string text) => JsonSerializer.SerializeToElement(text);

    private static ApiException Refusal(JsonElement value)
    {
        var error = Assert.Throws<ApiException>(() => Base64Image.Decode(value, "image"));
        Assert.Equal(("image", 400), (error.Param, error.Status));
        return error;
    }
}
