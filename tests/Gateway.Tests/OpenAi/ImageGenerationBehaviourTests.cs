using System.Net;
using System.Text.Json;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>What the SDK hides: seeds and their headers, ignored parameters, the models' extra fields.</summary>
[Collection(OpenAiCollection.Name)]
public sealed class ImageGenerationBehaviourTests(OpenAiServerFixture fixture)
{
    [Fact]
    public async Task The_same_seed_gives_the_same_bytes_and_image_i_of_a_batch_uses_seed_plus_i()
    {
        using var client = fixture.Server.Client();
        using var batch = await client.GenerateAsync("""{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "seed": 4294967290, "n": 2}""");
        var batchBody = await SuccessOf(batch);
        Assert.Equal("4294967290", batch.Headers.GetValues("X-Seed").Single());
        var items = batchBody.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([4294967290UL, 4294967291UL], items.Select(i => i.GetProperty("seed").GetUInt64()));
        Assert.All(items, i => Assert.Equal("", i.GetProperty("revised_prompt").GetString()));
        Assert.All(items, i => Assert.False(i.TryGetProperty("url", out _)));

        using var single = await client.GenerateAsync("""{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "seed": 4294967290}""");
        Assert.Equal(ImageBytes(items[0]), ImageBytes((await SuccessOf(single)).GetProperty("data")[0]));
        Assert.NotEqual(ImageBytes(items[0]), ImageBytes(items[1]));
    }

    [Fact]
    public async Task Ignored_parameters_are_listed_when_allowed_and_a_random_seed_is_reported()
    {
        using var client = fixture.Server.Client();
        using var response = await client.GenerateAsync("""
            {"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512", "seed": 0, "quality": "hd", "style": null,
             "user": "u-1", "allow_ignored_params": true}
            """);
        var body = await SuccessOf(response);
        Assert.Equal("quality, style, user", response.Headers.GetValues("X-Ignored-Params").Single());
        var seed = body.GetProperty("data")[0].GetProperty("seed").GetUInt64();
        Assert.InRange(seed, 1UL, uint.MaxValue);
        Assert.Equal(seed.ToString(), response.Headers.GetValues("X-Seed").Single());
        Assert.InRange(body.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal((512, 512), SizeOf(ImageBytes(body.GetProperty("data")[0])));
    }

    [Fact]
    public async Task Models_carry_the_gateway_extras()
    {
        using var client = fixture.Server.Client();
        using var list = JsonDocument.Parse(await client.GetStringAsync("/v1/models"));
        Assert.Equal("list", list.RootElement.GetProperty("object").GetString());
        var tiny = list.RootElement.GetProperty("data")[0];
        Assert.Equal("tiny-sd", tiny.GetProperty("id").GetString());
        Assert.Equal("model", tiny.GetProperty("object").GetString());
        Assert.Equal("gateway", tiny.GetProperty("owned_by").GetString());
        Assert.True(tiny.GetProperty("created").GetInt64() > 0);
        Assert.Equal("sd15", tiny.GetProperty("family").GetString());
        Assert.Equal("512x512", tiny.GetProperty("native_size").GetString());
        Assert.Equal(["512x512"], tiny.GetProperty("sizes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(20, tiny.GetProperty("default_steps").GetInt32());
        Assert.Equal(7.5, tiny.GetProperty("default_guidance").GetDouble());
        Assert.Equal("", tiny.GetProperty("default_sampler").GetString());
        Assert.True(tiny.GetProperty("ready").GetBoolean());

        using var one = JsonDocument.Parse(await client.GetStringAsync("/v1/models/tiny-sd-fp16"));
        Assert.Equal("tiny-sd-fp16", one.RootElement.GetProperty("id").GetString());

        using var missing = await client.GetAsync("/v1/models/no/such-model");
        await AssertError(missing, HttpStatusCode.NotFound, "model", "model_not_found");
    }
}
