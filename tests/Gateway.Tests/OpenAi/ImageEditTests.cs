// The SDK marks output_format as experimental; it is what users call.
#pragma warning disable OPENAI001

using System.ClientModel;
using System.Net;
using System.Text;
using Gateway.Tests.Support;
using OpenAI.Images;
using static Gateway.Tests.OpenAi.EditTestImages;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>One server for the edit tests: tiny-sd (whose masked edits run on tiny-sd-inpaint) and tiny-sd-fp16 (no
/// inpainting export: masked image-to-image), with a small body limit so that the 413 costs nothing.</summary>
public sealed class ImageEditServerFixture : IAsyncLifetime
{
    public const long MaxRequestBytes = 256 * 1024;

    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await GatewayTestServer.StartAsync(
            new Dictionary<string, string> { ["Gateway:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            models: ["tiny-sd", "tiny-sd-fp16", "tiny-sd-inpaint"]);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ImageEditCollection : ICollectionFixture<ImageEditServerFixture>
{
    public const string Name = "image-edits";
}

/// <summary><c>/v1/images/edits</c> and <c>/v1/images/variations</c> through the official .NET SDK and raw multipart.</summary>
[Collection(ImageEditCollection.Name)]
public sealed class ImageEditTests(ImageEditServerFixture fixture)
{
    private const string EditsPath = "/v1/images/edits";

    private ImageClient Images(string model) => fixture.Server.Sdk().GetImageClient(model);

    [Fact]
    public async Task The_sdk_edits_without_a_mask_at_the_asked_size()
    {
        using var image = new MemoryStream(GradientPng());
        var result = await Images("tiny-sd").GenerateImageEditAsync(image, "image.png", "a red door",
            new ImageEditOptions { Size = GeneratedImageSize.W512xH512, ResponseFormat = GeneratedImageFormat.Bytes });
        var bytes = result.Value.ImageBytes.ToArray();
        Assert.Equal((512, 512), SizeOf(bytes));
        Assert.False(result.GetRawResponse().Headers.TryGetValue(Apis.OpenAi.ImageEditEndpoint.InpaintMethodHeader, out _));
    }

    [Theory]
    [InlineData("tiny-sd", "inpaint-model")]
    [InlineData("tiny-sd-fp16", "masked-img2img")]
    public async Task The_sdk_inpaints_with_a_mask_keeping_the_pixels_the_mask_keeps(string model, string method)
    {
        var original = Decode(GradientPng());
        using var image = new MemoryStream(GradientPng());
        using var mask = new MemoryStream(LeftHalfMaskPng());
        var result = await Images(model).GenerateImageEditsAsync(image, "image.png", "a red door", mask, "mask.png", 2,
            new ImageEditOptions { ResponseFormat = GeneratedImageFormat.Bytes });
        Assert.True(result.GetRawResponse().Headers.TryGetValue(Apis.OpenAi.ImageEditEndpoint.InpaintMethodHeader, out var used));
        Assert.Equal(method, used);
        Assert.Equal(2, result.Value.Count);
        foreach (var edited in result.Value)
        {
            var output = Decode(edited.ImageBytes.ToArray());
            Assert.Equal((Size, Size), (output.Width, output.Height));
            var (changed, repainted) = (0, 0);
            for (var y = 0; y < Size; y++)
                for (var x = 0; x < Size; x++)
                    for (var c = 0; c < 3; c++)
                    {
                        var i = 4 * (y * Size + x) + c;
                        if (x >= Size / 2) Assert.Equal(original.Rgba[i], output.Rgba[i]);
                        else if (Math.Abs(original.Rgba[i] - output.Rgba[i]) > 8) changed++;
                        if (x < Size / 2) repainted++;
                    }
            Assert.True(changed > repainted / 3, $"{changed} of {repainted} repainted channel values changed");
        }
        Assert.NotEqual(result.Value[0].ImageBytes.ToArray(), result.Value[1].ImageBytes.ToArray());
    }

    [Fact]
    public async Task The_sdk_makes_variations_that_differ_by_seed()
    {
        using var image = new MemoryStream(GradientPng());
        var result = await Images("tiny-sd").GenerateImageVariationsAsync(image, "image.png", 2,
            new ImageVariationOptions { ResponseFormat = GeneratedImageFormat.Bytes });
        Assert.Equal(2, result.Value.Count);
        Assert.All(result.Value, v => Assert.Equal((Size, Size), SizeOf(v.ImageBytes.ToArray())));
        Assert.NotEqual(result.Value[0].ImageBytes.ToArray(), result.Value[1].ImageBytes.ToArray());
    }

    [Fact]
    public async Task A_variation_stays_closer_to_its_image_than_a_full_strength_redraw()
    {
        var original = Decode(GradientPng());
        async Task<double> DistanceAt(string? strength)
        {
            var fields = new List<(string, object)> { ("model", "tiny-sd"), ("image", GradientPng()), ("seed", "5") };
            if (strength is not null) fields.Add(("strength", strength));
            using var response = await fixture.Server.Client().PostAsync("/v1/images/variations", Form([.. fields]));
            var output = Decode(ImageBytes((await SuccessOf(response)).GetProperty("data")[0]));
            return original.Rgba.Zip(output.Rgba, (a, b) => Math.Abs(a - b)).Average();
        }
        Assert.True(await DistanceAt(null) < await DistanceAt("1"));
    }

    [Fact]
    public async Task Image_and_image_brackets_are_both_read_and_seeds_reproduce()
    {
        using var client = fixture.Server.Client();
        using var a = await client.PostAsync(EditsPath, Form(("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("seed", "9")));
        using var b = await client.PostAsync(EditsPath, Form(("model", "tiny-sd"), ("prompt", "a door"), ("image[]", GradientPng()), ("seed", "9")));
        var first = await SuccessOf(a);
        Assert.Equal(ImageBytes(first.GetProperty("data")[0]), ImageBytes((await SuccessOf(b)).GetProperty("data")[0]));
        Assert.Equal(9UL, first.GetProperty("data")[0].GetProperty("seed").GetUInt64());
    }

    [Fact]
    public async Task Ignored_openai_fields_are_refused_unless_allowed_then_listed()
    {
        using var client = fixture.Server.Client();
        using var refused = await client.PostAsync(EditsPath,
            Form(("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("quality", "high")));
        await AssertError(refused, HttpStatusCode.BadRequest, "quality", "unknown_parameter");

        using var allowed = await client.PostAsync(EditsPath, Form(("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()),
            ("quality", "high"), ("input_fidelity", "low"), ("allow_ignored_params", "true")));
        await SuccessOf(allowed);
        Assert.Equal("quality, input_fidelity", string.Join(", ", allowed.Headers.GetValues("X-Ignored-Params")));
    }

    public static TheoryData<string, string> BadForms => new()
    {
        { "missing-image", "image" },
        { "two-images", "image[]" },
        { "undecodable-image", "image" },
        { "mask-other-size", "mask" },
        { "mask-without-transparency", "mask" },
        { "undecodable-mask", "mask" },
        { "missing-prompt", "prompt" },
        { "bad-n", "n" },
        { "bad-strength", "strength" },
        { "bad-size", "size" },
        { "unknown-model", "model" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task Bad_fields_answer_400_naming_the_field(string problem, string param)
    {
        (string, object)[] fields = problem switch
        {
            "missing-image" => [("model", "tiny-sd"), ("prompt", "a door")],
            "two-images" => [("model", "tiny-sd"), ("prompt", "a door"), ("image[]", GradientPng()), ("image[]", GradientPng())],
            "undecodable-image" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", Encoding.ASCII.GetBytes("not an image"))],
            "mask-other-size" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("mask", LeftHalfMaskPng(128, 64))],
            "mask-without-transparency" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("mask", OpaquePng())],
            "undecodable-mask" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("mask", new byte[] { 1, 2, 3 })],
            "missing-prompt" => [("model", "tiny-sd"), ("image", GradientPng())],
            "bad-n" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("n", "two")],
            "bad-strength" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("strength", "1.5")],
            "bad-size" => [("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("size", "100x100")],
            "unknown-model" => [("model", "dall-e-2"), ("prompt", "a door"), ("image", GradientPng())],
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        using var response = await fixture.Server.Client().PostAsync(EditsPath, Form(fields));
        await AssertError(response, problem == "unknown-model" ? HttpStatusCode.NotFound : HttpStatusCode.BadRequest, param);
    }

    [Fact]
    public async Task A_json_body_is_415_broken_multipart_400_and_an_oversized_body_413()
    {
        using var client = fixture.Server.Client();
        using var json = await client.PostAsync(EditsPath, new StringContent("{\"prompt\":\"a door\"}", Encoding.UTF8, "application/json"));
        await AssertError(json, HttpStatusCode.UnsupportedMediaType, null, "unsupported_media_type");

        var broken = new StringContent("--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na door\r\n--b", Encoding.ASCII);
        broken.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        using var truncated = await client.PostAsync(EditsPath, broken);
        await AssertError(truncated, HttpStatusCode.BadRequest, null, "invalid_multipart");

        // Sent as curl sends large uploads, waiting for 100-continue: refused by its length before the body travels
        // (a client that sends it anyway may see the connection close under it).
        var large = new byte[ImageEditServerFixture.MaxRequestBytes + 1024];
        using var request = new HttpRequestMessage(HttpMethod.Post, EditsPath)
        {
            Content = Form(("model", "tiny-sd"), ("prompt", "a door"), ("image", large)),
        };
        request.Headers.ExpectContinue = true;
        using var oversized = await client.SendAsync(request);
        await AssertError(oversized, HttpStatusCode.RequestEntityTooLarge, null, "request_too_large");
    }

    [Fact]
    public async Task Edits_and_variations_are_jobs_and_a_stream_refused_by_the_engine_is_a_plain_400()
    {
        using var client = fixture.Server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, EditsPath)
        {
            Content = Form(("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()), ("mask", LeftHalfMaskPng(128, 64)),
                ("stream", "true"), ("partial_images", "1")),
        };
        request.Headers.Add("X-Job-Id", "edit-stream-1");
        using var response = await client.SendAsync(request);
        await AssertError(response, HttpStatusCode.BadRequest, "mask");
        Assert.Equal("edit-stream-1", Assert.Single(response.Headers.GetValues("X-Job-Id")));

        using var streamed = await client.PostAsync(EditsPath, Form(("model", "tiny-sd"), ("prompt", "a door"), ("image", GradientPng()),
            ("stream", "true")));
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        Assert.Contains("event: image_edit.completed", await streamed.Content.ReadAsStringAsync());

        using var variation = await client.PostAsync("/v1/images/variations", Form(("model", "tiny-sd"), ("image", GradientPng())));
        await SuccessOf(variation);
        Assert.StartsWith("openai", Assert.Single(variation.Headers.GetValues("X-Job-Id")));
    }

    [Fact]
    public async Task The_sdk_streaming_iterator_receives_the_partial_and_the_completed_edit()
    {
        using var form = Form(("model", "tiny-sd"), ("prompt", "a red door"), ("image[]", GradientPng()), ("mask", LeftHalfMaskPng()),
            ("stream", "true"), ("partial_images", "2"));
        var body = BinaryContent.Create(BinaryData.FromBytes(await form.ReadAsByteArrayAsync()));
        var events = new List<(string Type, System.Text.Json.JsonElement Data)>();
        await foreach (var item in await Images("tiny-sd").GenerateImageEditsStreamingAsync(body, form.Headers.ContentType!.ToString(),
                           new System.ClientModel.Primitives.RequestOptions()))
            events.Add((item.EventType, System.Text.Json.JsonDocument.Parse(item.Data.ToString()).RootElement));

        Assert.Equal(["image_edit.partial_image", "image_edit.partial_image", "image_edit.completed"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal((Size, Size), SizeOf(ImageBytes(e.Data))));
        Assert.Equal($"{Size}x{Size}", events[2].Data.GetProperty("size").GetString());
    }

    [Fact]
    public async Task The_sdk_sees_a_400_as_an_exception_with_the_status()
    {
        using var image = new MemoryStream(GradientPng());
        using var mask = new MemoryStream(LeftHalfMaskPng(128, 64));
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            Images("tiny-sd").GenerateImageEditAsync(image, "image.png", "a door", mask, "mask.png"));
        Assert.Equal(400, error.Status);
        Assert.Contains("mask", error.Message);
    }
}
