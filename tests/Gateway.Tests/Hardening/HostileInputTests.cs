using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Support;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.Hardening;

/// <summary>Bodies and headers a hostile or careless client sends: each answers a 4xx in the envelope, never a 500.</summary>
[Collection(HardeningCollection.Name)]
public sealed class HostileInputTests(HardeningFixture fixture)
{
    /// <summary>A small valid body of each dialect, with <c>PROMPT</c> where the test puts its text (raw JSON).</summary>
    public static readonly (string Path, string Body, string PromptParam)[] Dialects =
    [
        ("/v1/images/generations", """{"model":"tiny-sd","prompt":PROMPT,"size":"512x512"}""", "prompt"),
        ("/v1/image/generation", """{"model_name":"tiny-sd","prompt":PROMPT,"width":64,"height":64,"steps":1}""", "prompt"),
        ("/submit_job", """{"job_id":"j","model_id":"tiny-sd","model_input":{"SD":{"prompt":PROMPT,"width":64,"height":64,"num_iterations":1}}}""",
            "model_input.SD.prompt"),
    ];

    public static TheoryData<int, string> SurrogateCases()
    {
        var data = new TheoryData<int, string>();
        for (var dialect = 0; dialect < Dialects.Length; dialect++)
            foreach (var text in new[] { "\"\\ud800\"", "\"x\\udc00y\"", "\"\\uDBFF\\u0041\"", "\"ok \\ud83d\"" })
                data.Add(dialect, text);
        return data;
    }

    [Theory]
    [MemberData(nameof(SurrogateCases))]
    public async Task A_lone_surrogate_escape_in_a_string_is_a_400_naming_the_field(int dialect, string text)
    {
        var (path, body, param) = Dialects[dialect];
        using var client = fixture.Server.Client();
        using var response = await client.PostAsync(path, Json(body.Replace("PROMPT", text)));
        var error = await AssertError(response, HttpStatusCode.BadRequest, param, "invalid_value");
        Assert.Contains("surrogate", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_lone_surrogate_in_a_field_name_or_a_nested_value_is_a_400(int dialect)
    {
        var (path, body, _) = Dialects[dialect];
        using var client = fixture.Server.Client();
        using var name = await client.PostAsync(path, Json(body.Replace("PROMPT", "\"p\"").Replace("{", "{\"\\udfff\":1,")));
        await AssertError(name, HttpStatusCode.BadRequest, "", "invalid_value");
        using var nested = await client.PostAsync(path, Json(body.Replace("PROMPT", "\"p\"").Replace("{", "{\"extra\":[{\"a\":\"\\ud800\"}],")));
        await AssertError(nested, HttpStatusCode.BadRequest, "extra[0].a", "invalid_value");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_prompt_over_10000_characters_is_a_400_naming_the_field(int dialect)
    {
        var (path, body, param) = Dialects[dialect];
        using var client = fixture.Server.Client();
        using var response = await client.PostAsync(path, Json(body.Replace("PROMPT", $"\"{new string('a', 10_001)}\"")));
        await AssertError(response, HttpStatusCode.BadRequest, param, "invalid_value");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_prompt_of_1_MiB_is_refused_in_well_under_a_second(int dialect)
    {
        // Past the body limit of the OpenAI (1 MiB) and job (64 KiB) dialects: 413 before the text is looked at.
        var (path, body, param) = Dialects[dialect];
        using var client = fixture.Server.Client();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await client.PostAsync(path, Json(body.Replace("PROMPT", $"\"{new string('a', 1024 * 1024)}\"")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge) await AssertError(response, HttpStatusCode.RequestEntityTooLarge, null, "request_too_large");
        else await AssertError(response, HttpStatusCode.BadRequest, param, "invalid_value");
    }

    [Fact]
    public async Task A_valid_surrogate_pair_is_text()
    {
        var (path, body, _) = Dialects[1];
        using var client = fixture.Server.Client();
        using var response = await client.PostAsync(path, Json(body.Replace("PROMPT", "\"a lighthouse \\ud83d\\ude00\"")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("application/json; charset=latin1")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task A_json_body_declared_in_another_charset_is_a_415(string contentType)
    {
        foreach (var (path, body, _) in Dialects)
        {
            using var client = fixture.Server.Client();
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.Replace("PROMPT", "\"p\"")));
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var response = await client.PostAsync(path, content);
            var error = await AssertError(response, HttpStatusCode.UnsupportedMediaType, null, "unsupported_media_type");
            Assert.Contains("UTF-8", error.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task A_json_body_declared_utf_8_is_read()
    {
        var (path, body, _) = Dialects[1];
        using var client = fixture.Server.Client();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.Replace("PROMPT", "\"p\"")));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        using var response = await client.PostAsync(path, content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("sk-a")]
    [InlineData("Token sk-test-alice")]
    [InlineData("Bearersk-test-alice")]
    public async Task A_key_without_the_bearer_scheme_is_told_the_scheme(string authorization)
    {
        using var client = fixture.Server.Client(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.SendAsync(request);
        var error = await AssertError(response, HttpStatusCode.Unauthorized, null, "missing_api_key");
        Assert.Contains("Bearer scheme", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("/v1/images/generations")]
    [InlineData("/v1/image/generation")]
    [InlineData("/submit_job")]
    public async Task A_chunk_size_that_overflows_is_a_400_in_the_envelope(string path)
    {
        var response = await RawHttp.SendAsync(fixture.Server.BaseAddress,
            $"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {GatewayTestServer.Key}\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n");
        Assert.Equal(400, response.Status);
        Assert.Equal("bad_request", response.Error().GetProperty("code").GetString());
    }

    public static TheoryData<string, int, string> KestrelRejections => new()
    {
        { "GARBAGE\r\n\r\n", 400, "bad_request" },
        { "GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n", 400, "bad_request" },
        { $"GET /{new string('a', 10_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "uri_too_long" },
        { $"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {new string('a', 40_000)}\r\n\r\n", 431, "headers_too_large" },
    };

    [Theory]
    [MemberData(nameof(KestrelRejections))]
    public async Task Requests_kestrel_refuses_itself_are_answered_in_the_envelope(string request, int status, string code)
    {
        var response = await RawHttp.SendAsync(fixture.Server.BaseAddress, request);
        Assert.Equal(status, response.Status);
        Assert.Equal(code, response.Error().GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_refusal_after_an_answered_request_on_the_same_connection_is_in_the_envelope()
    {
        var response = await RawHttp.SendAsync(fixture.Server.BaseAddress,
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGARBAGE\r\n\r\n", untilClosed: true);
        Assert.Equal(200, response.Status);
        var second = response.Body[(response.Body.IndexOf("HTTP/1.1 ", StringComparison.Ordinal))..];
        Assert.StartsWith("HTTP/1.1 400", second);
        Assert.Contains("\"code\":\"bad_request\"", second);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
