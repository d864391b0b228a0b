// The SDK marks its streaming protocol method as experimental; it is what .NET users call to stream images.
#pragma warning disable OPENAI001

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.OpenAi;
using Gateway.Tests.Support;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.Progress;

/// <summary>The official SDKs' streaming iterators against the server: Node's <c>openai</c> and the .NET <c>OpenAI</c> package.</summary>
public sealed class OpenAiStreamingSdkTests(ProgressServer fixture) : IClassFixture<ProgressServer>
{
    private GatewayTestServer Server => fixture.Server;

    [Fact]
    public async Task The_node_sdk_receives_two_partial_images_and_the_completed_one()
    {
        const string script = """
            import OpenAI from "openai";
            const client = new OpenAI({ baseURL: process.env.GATEWAY_BASE_URL, apiKey: process.env.GATEWAY_KEY });
            const stream = await client.images.generate({
              model: "tiny-sd", prompt: "a lighthouse at dusk", size: "512x512", stream: true, partial_images: 2,
            });
            for await (const event of stream) {
              console.log(JSON.stringify({ type: event.type, index: event.partial_image_index ?? null, b64: event.b64_json }));
            }
            try {
              await client.images.generate({ model: "tiny-sd", prompt: "x", stream: true, partial_images: 5 });
              console.log(JSON.stringify({ type: "no error" }));
            } catch (e) {
              console.log(JSON.stringify({ type: "error", status: e.status, param: e.param ?? e.error?.param }));
            }
            """;
        var output = await NodeOpenAiSdk.RunAsync(script, new Dictionary<string, string>
        {
            ["GATEWAY_BASE_URL"] = new Uri(Server.BaseAddress, "v1").ToString(),
            ["GATEWAY_KEY"] = GatewayTestServer.Key,
        });
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed", "error"],
            lines.Select(l => l.GetProperty("type").GetString()));
        Assert.Equal([0, 1], lines.Take(2).Select(l => l.GetProperty("index").GetInt32()));
        foreach (var line in lines.Take(3))
        {
            var bytes = Convert.FromBase64String(line.GetProperty("b64").GetString()!);
            Assert.Equal(ImageFormat.Png, FormatOf(bytes));
            Assert.Equal((512, 512), SizeOf(bytes));
        }
        Assert.Equal(400, lines[3].GetProperty("status").GetInt32());
        Assert.Equal("partial_images", lines[3].GetProperty("param").GetString());
    }

    [Fact]
    public async Task The_dotnet_sdk_streaming_iterator_receives_two_partial_images_and_the_completed_one()
    {
        var images = Server.Sdk().GetImageClient("tiny-sd");
        var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            model = "tiny-sd", prompt = "a lighthouse at dusk", size = "512x512", stream = true, partial_images = 2, output_format = "webp",
        }));
        var events = new List<(string Type, JsonElement Data)>();
        await foreach (var item in await images.GenerateImagesStreamingAsync(body, new RequestOptions()))
            events.Add((item.EventType, JsonDocument.Parse(item.Data.ToString()).RootElement));

        Assert.Equal(["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(e.Type, e.Data.GetProperty("type").GetString()));
        Assert.All(events, e =>
        {
            var bytes = ImageBytes(e.Data);
            Assert.Equal(ImageFormat.Webp, FormatOf(bytes));
            Assert.Equal((512, 512), SizeOf(bytes));
        });
    }
}
