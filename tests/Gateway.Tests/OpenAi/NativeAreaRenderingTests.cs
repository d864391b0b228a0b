using System.Net;
using System.Text.Json;
using Gateway.Apis.OpenAi;
using Gateway.Tests.Support;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>
/// A server whose catalog serves the tiny model as a native-area model (native 256², an extra size 384x256) and as an
/// exact model with a 1024 max side, with <c>Gateway:DefaultModel</c> set: the render-size rule, resizing, model-declared
/// sizes and the default model, end to end.
/// </summary>
public sealed class NativeAreaRenderingTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("gateway-models-").FullName;
    private GatewayTestServer _server = null!;

    public async Task InitializeAsync()
    {
        var folder = JsonSerializer.Serialize(Path.Combine(TestPaths.ModelsDirectory, "tiny-sd"));
        await File.WriteAllTextAsync(Path.Combine(_models, "models.json"), $$"""
            { "models": [
              { "id": "tiny-native", "folder": {{folder}}, "family": "sd15", "native_size": "256x256", "sizes": ["384x256"],
                "render": "native", "default_steps": 2, "default_guidance": 7.5 },
              { "id": "tiny-small", "folder": {{folder}}, "family": "sd15", "native_size": "512x512", "max_side": 1024,
                "render": "exact", "default_steps": 2, "default_guidance": 7.5 }
            ] }
            """);
        _server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:ModelsDir"] = _models,
            ["Gateway:DefaultModel"] = "tiny-native",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    public static TheoryData<string, int, int> Table()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var (ratio, size) in OpenAiSizes.Table) data.Add(ratio, size.Width, size.Height);
        return data;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task Each_aspect_ratio_gives_its_size_and_each_size_its_aspect_ratio_agrees_with(string aspectRatio, int width, int height)
    {
        using var client = _server.Client();
        using var ratioOnly = await client.GenerateAsync($$"""{"prompt": "a lighthouse", "aspect_ratio": "{{aspectRatio}}", "output_format": "jpeg"}""");
        Assert.Equal((width, height), SizeOf(ImageBytes((await SuccessOf(ratioOnly)).GetProperty("data")[0])));
        using var both = await client.GenerateAsync($$"""
            {"prompt": "a lighthouse", "size": "{{width}}x{{height}}", "aspect_ratio": "{{aspectRatio}}", "output_format": "jpeg"}
            """);
        Assert.Equal((width, height), SizeOf(ImageBytes((await SuccessOf(both)).GetProperty("data")[0])));
    }

    [Fact]
    public async Task A_size_the_model_declares_is_accepted_and_takes_its_nearest_aspect_ratio()
    {
        using var client = _server.Client();
        using var response = await client.GenerateAsync("""{"model": "tiny-native", "prompt": "a lighthouse", "size": "384x256", "aspect_ratio": "3:2"}""");
        Assert.Equal((384, 256), SizeOf(ImageBytes((await SuccessOf(response)).GetProperty("data")[0])));

        using var disagree = await client.GenerateAsync("""{"prompt": "a lighthouse", "size": "384x256", "aspect_ratio": "1:1"}""");
        await AssertError(disagree, HttpStatusCode.BadRequest, "aspect_ratio");
        using var otherModel = await client.GenerateAsync("""{"model": "tiny-small", "prompt": "a lighthouse", "size": "384x256"}""");
        await AssertError(otherModel, HttpStatusCode.BadRequest, "size");
    }

    [Fact]
    public async Task Sizes_beyond_the_model_max_side_are_refused()
    {
        using var client = _server.Client();
        using var response = await client.GenerateAsync("""{"model": "tiny-small", "prompt": "a lighthouse", "aspect_ratio": "16:9"}""");
        var error = await AssertError(response, HttpStatusCode.BadRequest, "size");
        Assert.Contains("1024", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_models_list_shows_declared_sizes()
    {
        using var client = _server.Client();
        using var list = JsonDocument.Parse(await client.GetStringAsync("/v1/models/tiny-native"));
        Assert.Equal(["256x256", "384x256"], list.RootElement.GetProperty("sizes").EnumerateArray().Select(s => s.GetString()));
    }
}
