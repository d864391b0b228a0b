using System.Text.Json;
using Gateway.Tests.Support;
using static Gateway.Tests.OpenAi.EditTestImages;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>The official Node SDK's <c>images.edit</c> (with the image as <c>image</c> and as <c>image[]</c>) and
/// <c>images.createVariation</c> against the server.</summary>
[Collection(ImageEditCollection.Name)]
public sealed class ImageEditNodeSdkTests(ImageEditServerFixture fixture)
{
    private const string Script = """
        import OpenAI, { toFile } from "openai";

        const client = new OpenAI({ baseURL: process.env.GATEWAY_URL, apiKey: process.env.GATEWAY_KEY });
        const file = (name, variable) => toFile(Buffer.from(process.env[variable], "base64"), name, { type: "image/png" });
        const plain = await client.images.edit({
          model: "tiny-sd", prompt: "a red door", image: await file("image.png", "IMAGE"), size: "512x512",
        });
        const masked = await client.images.edit({
          model: "tiny-sd-fp16", prompt: "a red door", image: [await file("image.png", "IMAGE")], mask: await file("mask.png", "MASK"),
          size: "512x512", n: 2,
        }).withResponse();
        const variation = await client.images.createVariation({ model: "tiny-sd", image: await file("image.png", "IMAGE") });
        console.log(JSON.stringify({
          plain: plain.data.map(d => d.b64_json),
          masked: masked.data.data.map(d => d.b64_json),
          method: masked.response.headers.get("x-inpaint-method"),
          variation: variation.data.map(d => d.b64_json),
        }));
        """;

    [Fact]
    public async Task Images_edit_with_and_without_a_mask_returns_images_of_the_requested_size()
    {
        var output = await NodeSdk.RunAsync(fixture.Server, Script, new Dictionary<string, string>
        {
            ["IMAGE"] = Convert.ToBase64String(GradientPng()),
            ["MASK"] = Convert.ToBase64String(LeftHalfMaskPng()),
        });
        using var result = JsonDocument.Parse(output);
        var root = result.RootElement;
        var plain = Assert.Single(root.GetProperty("plain").EnumerateArray());
        Assert.Equal((512, 512), SizeOf(Convert.FromBase64String(plain.GetString()!)));
        var masked = root.GetProperty("masked").EnumerateArray().Select(e => Convert.FromBase64String(e.GetString()!)).ToList();
        Assert.Equal(2, masked.Count);
        Assert.All(masked, bytes => Assert.Equal((512, 512), SizeOf(bytes)));
        Assert.Equal("masked-img2img", root.GetProperty("method").GetString());
        var variation = Assert.Single(root.GetProperty("variation").EnumerateArray());
        Assert.Equal((Size, Size), SizeOf(Convert.FromBase64String(variation.GetString()!)));
    }
}
