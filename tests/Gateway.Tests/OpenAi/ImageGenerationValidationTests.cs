using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Support;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>Every rule of the request, over raw HTTP: each bad input is a 4xx in the envelope naming the field; none generates.</summary>
[Collection(OpenAiCollection.Name)]
public sealed class ImageGenerationValidationTests(OpenAiServerFixture fixture)
{
    private const string Valid = "\"model\": \"tiny-sd\", \"prompt\": \"a lighthouse\"";
    private static readonly string LongText = new('a', 10_001);

    public static TheoryData<string, int, string?, string?> BadBodies => new()
    {
        { """{"prompt": "a lighthouse"}""", 400, "model", "missing_required_parameter" },
        { """{"model": "", "prompt": "a lighthouse"}""", 400, "model", "invalid_value" },
        { """{"model": 5, "prompt": "a lighthouse"}""", 400, "model", "invalid_type" },
        { """{"model": "nope", "prompt": "a lighthouse"}""", 404, "model", "model_not_found" },
        { """{"model": "tiny-sd"}""", 400, "prompt", "missing_required_parameter" },
        { """{"model": "tiny-sd", "prompt": null}""", 400, "prompt", "missing_required_parameter" },
        { """{"model": "tiny-sd", "prompt": ""}""", 400, "prompt", "invalid_value" },
        { """{"model": "tiny-sd", "prompt": "   "}""", 400, "prompt", "invalid_value" },
        { """{"model": "tiny-sd", "prompt": ["a"]}""", 400, "prompt", "invalid_type" },
        { $$"""{"model": "tiny-sd", "prompt": "{{LongText}}"}""", 400, "prompt", "invalid_value" },
        { $$"""{ {{Valid}}, "negative_prompt": "{{LongText}}"}""", 400, "negative_prompt", "invalid_value" },
        { $$"""{ {{Valid}}, "negative_prompt": 3}""", 400, "negative_prompt", "invalid_type" },
        { $$"""{ {{Valid}}, "aspect_ratio": "4:3"}""", 400, "aspect_ratio", "invalid_value" },
        { $$"""{ {{Valid}}, "aspect_ratio": 1.5}""", 400, "aspect_ratio", "invalid_type" },
        { $$"""{ {{Valid}}, "size": "1000x1000"}""", 400, "size", "invalid_value" },
        { $$"""{ {{Valid}}, "size": "256x256"}""", 400, "size", "invalid_value" },
        { $$"""{ {{Valid}}, "size": "big"}""", 400, "size", "invalid_value" },
        { $$"""{ {{Valid}}, "size": 1024}""", 400, "size", "invalid_type" },
        { $$"""{ {{Valid}}, "size": "1024x1024", "aspect_ratio": "16:9"}""", 400, "aspect_ratio", "invalid_value" },
        { $$"""{ {{Valid}}, "size": "512x512", "aspect_ratio": "21:9"}""", 400, "aspect_ratio", "invalid_value" },
        { $$"""{ {{Valid}}, "output_format": "gif"}""", 400, "output_format", "invalid_value" },
        { $$"""{ {{Valid}}, "response_format": "json"}""", 400, "response_format", "invalid_value" },
        { $$"""{ {{Valid}}, "seed": -1}""", 400, "seed", "invalid_value" },
        { $$"""{ {{Valid}}, "seed": 4294967296}""", 400, "seed", "invalid_value" },
        { $$"""{ {{Valid}}, "seed": 1.5}""", 400, "seed", "invalid_value" },
        { $$"""{ {{Valid}}, "seed": "42"}""", 400, "seed", "invalid_type" },
        { $$"""{ {{Valid}}, "seed": 1e400}""", 400, "seed", "invalid_value" },
        { $$"""{ {{Valid}}, "seed": 123456789012345678901234567890}""", 400, "seed", "invalid_value" },
        { $$"""{ {{Valid}}, "n": 0}""", 400, "n", "invalid_value" },
        { $$"""{ {{Valid}}, "n": 11}""", 400, "n", "invalid_value" },
        { $$"""{ {{Valid}}, "n": -1e308}""", 400, "n", "invalid_value" },
        { $$"""{ {{Valid}}, "n": true}""", 400, "n", "invalid_type" },
        { $$"""{ {{Valid}}, "allow_ignored_params": "yes"}""", 400, "allow_ignored_params", "invalid_type" },
        { $$"""{ {{Valid}}, "quality": "hd"}""", 400, "quality", "unknown_parameter" },
        { $$"""{ {{Valid}}, "style": "vivid"}""", 400, "style", "unknown_parameter" },
        { $$"""{ {{Valid}}, "background": "transparent"}""", 400, "background", "unknown_parameter" },
        { $$"""{ {{Valid}}, "moderation": "low"}""", 400, "moderation", "unknown_parameter" },
        { $$"""{ {{Valid}}, "output_compression": 50}""", 400, "output_compression", "unknown_parameter" },
        { $$"""{ {{Valid}}, "user": "u-1"}""", 400, "user", "unknown_parameter" },
        { $$"""{ {{Valid}}, "stream": "yes"}""", 400, "stream", "invalid_type" },
        { $$"""{ {{Valid}}, "stream": true, "partial_images": 4}""", 400, "partial_images", "invalid_value" },
        { $$"""{ {{Valid}}, "stream": true, "partial_images": -1}""", 400, "partial_images", "invalid_value" },
        { $$"""{ {{Valid}}, "partial_images": 2}""", 400, "partial_images", "invalid_value" },
        { $$"""{ {{Valid}}, "stream": true, "response_format": "url"}""", 400, "response_format", "invalid_value" },
        { $$"""{ {{Valid}}, "steps": 4}""", 400, "steps", "unknown_parameter" },
        { $$"""{ {{Valid}}, "allow_ignored_params": false, "quality": "hd"}""", 400, "quality", "unknown_parameter" },
        { "{", 400, "", "invalid_json" },
        { "{\"model\": \"tiny-sd\",}", 400, "", "invalid_json" },
        { "[]", 400, "", "invalid_json" },
        { "\"a lighthouse\"", 400, "", "invalid_json" },
        { "null", 400, "", "invalid_json" },
        { "", 400, "", "invalid_json" },
        { new string('[', 200) + new string(']', 200), 400, "", "invalid_json" },
        { $$"""{ {{Valid}}, "extra": {{new string('[', 100) + new string(']', 100)}} }""", 400, "", "invalid_json" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_are_refused_naming_the_field(string body, int status, string? param, string? code)
    {
        using var client = fixture.Server.Client();
        using var response = await client.GenerateAsync(body);
        await AssertError(response, (HttpStatusCode)status, param, code);
    }

    [Fact]
    public async Task Invalid_utf8_is_a_400()
    {
        using var client = fixture.Server.Client();
        var bytes = Encoding.UTF8.GetBytes("{\"model\": \"tiny-sd\", \"prompt\": \"a \"}").ToList();
        bytes.InsertRange(bytes.Count - 3, [0xC3, 0x28]);
        using var content = new ByteArrayContent([.. bytes]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(GenerationsPath, content);
        await AssertError(response, HttpStatusCode.BadRequest, "", "invalid_json");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task A_body_that_is_not_json_is_a_415(string? mediaType)
    {
        using var client = fixture.Server.Client();
        using var content = new StringContent($"{{{Valid}}}");
        content.Headers.ContentType = mediaType is null ? null : new MediaTypeHeaderValue(mediaType);
        using var response = await client.PostAsync(GenerationsPath, content);
        await AssertError(response, HttpStatusCode.UnsupportedMediaType, null, "unsupported_media_type");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_1_MiB_is_a_413_with_or_without_a_length(bool chunked)
    {
        using var client = fixture.Server.Client();
        var json = $$"""{ {{Valid}}, "negative_prompt": "{{new string('a', 1024 * 1024)}}"}""";
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (!chunked) content.Headers.ContentLength = Encoding.UTF8.GetByteCount(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, GenerationsPath) { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await client.SendAsync(request);
        await AssertError(response, HttpStatusCode.RequestEntityTooLarge, null, "request_too_large");
    }

    [Theory]
    [InlineData(null, "missing_api_key")]
    [InlineData("Bearer sk-wrong", "invalid_api_key")]
    [InlineData("Bearer ", "missing_api_key")]
    [InlineData("Basic c2stdGVzdC1hbGljZQ==", "missing_api_key")]
    [InlineData("Bearer sha256:0000000000000000000000000000000000000000000000000000000000000000", "invalid_api_key")]
    public async Task Missing_or_wrong_keys_are_a_401_with_a_bearer_challenge(string? authorization, string code)
    {
        using var client = fixture.Server.Client(null);
        foreach (var request in new[]
                 {
                     new HttpRequestMessage(HttpMethod.Post, GenerationsPath) { Content = new StringContent($"{{{Valid}}}", Encoding.UTF8, "application/json") },
                     new HttpRequestMessage(HttpMethod.Get, "/v1/models"),
                     new HttpRequestMessage(HttpMethod.Get, "/v1/models/tiny-sd"),
                 })
        {
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await client.SendAsync(request);
            await AssertError(response, HttpStatusCode.Unauthorized, null, code);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            Assert.Equal("authentication_error", (await ErrorOf(response)).GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData(GatewayTestServer.Key)]
    [InlineData(GatewayTestServer.OtherKey)]
    [InlineData(OpenAiServerFixture.HashedKey)]
    public async Task Every_configured_key_is_accepted_plain_or_by_its_hash(string key)
    {
        using var client = fixture.Server.Client(key);
        using var response = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Other_methods_and_paths_answer_in_the_envelope()
    {
        using var client = fixture.Server.Client();
        using var get = await client.GetAsync(GenerationsPath);
        await AssertError(get, HttpStatusCode.MethodNotAllowed, null, "method_not_allowed");
        using var getEdits = await client.GetAsync("/v1/images/edits");
        await AssertError(getEdits, HttpStatusCode.MethodNotAllowed, null, "method_not_allowed");
        using var missing = await client.GetAsync("/v1/images/masks");
        await AssertError(missing, HttpStatusCode.NotFound, null, "not_found");
    }
}
