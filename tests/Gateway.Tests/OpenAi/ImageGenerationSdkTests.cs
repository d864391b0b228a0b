// The SDK marks output_format and the protocol result's conversion as experimental; they are what users call.
#pragma warning disable OPENAI001

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;
using OpenAI.Images;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>The official OpenAI .NET SDK against the server, as a user would point it at Gateway.</summary>
[Collection(OpenAiCollection.Name)]
public sealed class ImageGenerationSdkTests(OpenAiServerFixture fixture)
{
    private ImageClient Images(string key = GatewayTestServer.Key) => fixture.Server.Sdk(key).GetImageClient("tiny-sd");

    [Fact]
    public async Task Generates_a_base64_png_at_1024x1024_by_default_with_the_seed_in_a_header()
    {
        var result = await Images().GenerateImageAsync("a lighthouse at dusk");
        var image = result.Value;
        Assert.Equal(ImageFormat.Png, FormatOf(image.ImageBytes.ToArray()));
        Assert.Equal((1024, 1024), SizeOf(image.ImageBytes.ToArray()));
        Assert.Equal("", image.RevisedPrompt);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("X-Seed", out var seed));
        Assert.InRange(ulong.Parse(seed!), 1UL, uint.MaxValue);
    }

    // The model's native 512x512 keeps these cheap; the list sizes are swept in NativeAreaRenderingTests.
    [Theory]
    [InlineData(512, 512, "jpeg")]
    [InlineData(512, 512, "webp")]
    public async Task Generates_the_asked_size_and_format(int width, int height, string format)
    {
        var image = (await Images().GenerateImageAsync("a lighthouse", new ImageGenerationOptions
        {
            Size = new GeneratedImageSize(width, height),
            OutputFileFormat = new GeneratedImageFileFormat(format),
        })).Value;
        var bytes = image.ImageBytes.ToArray();
        Assert.True(ImageFormats.TryParse(format, out var expected));
        Assert.Equal(expected, FormatOf(bytes));
        Assert.Equal((width, height), SizeOf(bytes));
    }

    [Fact]
    public async Task Url_responses_link_to_the_stored_image()
    {
        var image = (await Images().GenerateImageAsync("a lighthouse", new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W512xH512,
            ResponseFormat = GeneratedImageFormat.Uri,
        })).Value;
        Assert.Null(image.ImageBytes);
        Assert.StartsWith(fixture.Server.BaseAddress.ToString(), image.ImageUri.ToString());
        using var anonymous = fixture.Server.Client(null);
        using var response = await anonymous.GetAsync(image.ImageUri);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((512, 512), SizeOf(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task N_images_come_from_one_batch_with_consecutive_seeds()
    {
        var result = await Images().GenerateImagesAsync("a lighthouse", 2, new ImageGenerationOptions { Size = GeneratedImageSize.W512xH512 });
        Assert.Equal(2, result.Value.Count);
        Assert.NotEqual(result.Value[0].ImageBytes.ToArray(), result.Value[1].ImageBytes.ToArray());
        using var body = JsonDocument.Parse(result.GetRawResponse().Content);
        var seeds = body.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("seed").GetUInt64()).ToList();
        Assert.Equal(seeds[0] + 1, seeds[1]);
        Assert.Equal(seeds[0].ToString(), result.GetRawResponse().Headers.TryGetValue("X-Seed", out var header) ? header : null);
    }

    [Fact]
    public async Task Extra_fields_go_through_the_protocol_method()
    {
        var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            model = "tiny-sd", prompt = "a lighthouse", aspect_ratio = "9:21", seed = 7, negative_prompt = "fog", output_format = "webp",
        }));
        var result = await Images().GenerateImagesAsync(body, new RequestOptions());
        var images = (GeneratedImageCollection)result;
        var bytes = Assert.Single(images).ImageBytes.ToArray();
        Assert.Equal(ImageFormat.Webp, FormatOf(bytes));
        Assert.Equal((640, 1536), SizeOf(bytes));
        Assert.Equal("7", result.GetRawResponse().Headers.TryGetValue("X-Seed", out var seed) ? seed : null);
    }

    [Fact]
    public async Task Errors_reach_the_sdk_with_their_status()
    {
        var unauthorized = await Assert.ThrowsAsync<ClientResultException>(() => Images("sk-wrong").GenerateImageAsync("a lighthouse"));
        Assert.Equal(401, unauthorized.Status);

        var unknown = await Assert.ThrowsAsync<ClientResultException>(() =>
            fixture.Server.Sdk().GetImageClient("nope").GenerateImageAsync("a lighthouse"));
        Assert.Equal(404, unknown.Status);
        Assert.Contains("model_not_found", unknown.Message);

        var unsupported = await Assert.ThrowsAsync<ClientResultException>(() =>
            Images().GenerateImageAsync("a lighthouse", new ImageGenerationOptions { Style = GeneratedImageStyle.Vivid }));
        Assert.Equal(400, unsupported.Status);
        Assert.Contains("'style'", unsupported.Message);

        var badSize = await Assert.ThrowsAsync<ClientResultException>(() =>
            Images().GenerateImageAsync("a lighthouse", new ImageGenerationOptions { Size = GeneratedImageSize.W256xH256 }));
        Assert.Equal(400, badSize.Status);
    }

    [Fact]
    public async Task Models_are_listed_in_openai_shape()
    {
        var models = (await fixture.Server.Sdk().GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Equal(["tiny-sd", "tiny-sd-fp16"], models.Select(m => m.Id));
        Assert.All(models, m => Assert.Equal("gateway", m.OwnedBy));

        var one = (await fixture.Server.Sdk().GetOpenAIModelClient().GetModelAsync("tiny-sd")).Value;
        Assert.Equal("tiny-sd", one.Id);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => fixture.Server.Sdk().GetOpenAIModelClient().GetModelAsync("nope"));
        Assert.Equal(404, missing.Status);
    }
}
