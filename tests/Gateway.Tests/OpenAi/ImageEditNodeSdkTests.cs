using System.Text.Json;
using Gateway.Tests.Support;
using static Gateway.Tests.OpenAi.EditTestImages;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>The official Node SDK's <c>images.edit</c> (with the image as <c>image</c> and as <c>image[]</c>, and streamed)
/// and <c>images.createVariation</c> against the server.</summary>
[Collection(ImageEditCollection.Name)]
public sealed class ImageEditNodeSdkTests(ImageEditServerFixture fixture)
{
    private const string Script = """
        import OpenAI, { toFile } from "openai";

        const client = new OpenAI({ baseURL: process.env.GATEWAY_BASE_URL, apiKey: process.env.GATEWAY_KEY });
        const file = (name, variable) => toFile(Buffer.from(process.env[variable], "base64"), name, { type: "image/png" });
        const plain = await client.images.edit({
          model: "tiny-sd", prompt: "a red door", image: await file("image.png", "IMAGE"), size: "512x512",
        });
        const masked = await client.images.edit({
          model: "tiny-sd-fp16", prompt: "a red door", image: [await file("image.png", "IMAGE")], mask: await file("mask.png", "MASK"),
          size: "512x512", n: 2,
        }).withResponse();
        const variation = await client.images.createVariation({ model: "tiny-sd", image: await file("image.png", "IMAGE") });
        const streamed = [];
        const stream = await client.images.edit({
          model: "tiny-sd", prompt: "a red door", image: await file("image.png", "IMAGE"), mask: await file("mask.png", "MASK"),
          stream: true, partial_images: 2,
        });
        for await (const event of stream) streamed.push({ type: event.type, b64: event.b64_json, index: event.partial_image_index ?? null });
        console.log(JSON.stringify({
          plain: plain.data.map(d => d.b64_json),
          masked: masked.data.data.map(d => d.b64_json),
          method: masked.response.headers.get("x-inpaint-method"),
          variation: variation.data.map(d => d.b64_json),
          streamed,
        }));
        """;

    [Fact]
    public async Task Images_edit_with_and_without_a_mask_returns_images_of_the_requested_size()
    {
        var output = await NodeOpenAiSdk.RunAsync(Script, new Dictionary<string, string>
        {
            ["GATEWAY_BASE_URL"] = new Uri(fixture.Server.BaseAddress, "v1").ToString(),
            ["GATEWAY_KEY"] = GatewayTestServer.Key,
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

        // The stream's iterator: two partial images, then the inpainted image, whose kept half is the original's.
        var streamed = root.GetProperty("streamed").EnumerateArray().ToList();
        Assert.Equal(["image_edit.partial_image", "image_edit.partial_image", "image_edit.completed"],
            streamed.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal([0, 1], streamed.Take(2).Select(e => e.GetProperty("index").GetInt32()));
        var original = Decode(GradientPng());
        var completed = Decode(Convert.FromBase64String(streamed[2].GetProperty("b64").GetString()!));
        Assert.Equal((Size, Size), (completed.Width, completed.Height));
        for (var y = 0; y < Size; y++)
            for (var x = Size / 2; x < Size; x++)
                Assert.Equal(original.Rgba[4 * (y * Size + x)], completed.Rgba[4 * (y * Size + x)]);
    }
}
