using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Tests.Imaging;
using Gateway.Tests.Support;

namespace Gateway.Tests.Shared;

/// <summary>What the three dialects share: text limits, the unknown-field answer, seeds of a batch, warnings.</summary>
public sealed class DialectStyleTests : IAsyncLifetime
{
    private const string OpenAi = "/v1/images/generations";
    private const string Hyperbolic = "/v1/image/generation";
    private const string Jobs = "/submit_job";

    private GatewayTestServer? _server;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    public async Task InitializeAsync()
    {
        _server = await GatewayTestServer.StartAsync();
        _client = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    public static TheoryData<string, string, string> TextFields() => new()
    {
        { OpenAi, "prompt", "prompt" },
        { OpenAi, "negative_prompt", "negative_prompt" },
        { Hyperbolic, "prompt", "prompt" },
        { Hyperbolic, "negative_prompt", "negative_prompt" },
        { Jobs, "prompt", "model_input.SD.prompt" },
        { Jobs, "neg_prompt", "model_input.SD.neg_prompt" },
    };

    [Theory]
    [MemberData(nameof(TextFields))]
    public async Task Every_text_field_of_every_dialect_takes_at_most_10000_characters(string path, string field, string param)
    {
        using var tooLong = await Client.PostAsJsonAsync(path, Body(path, (field, new string('a', 10_001))));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var error = await ErrorAsync(tooLong);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains("at most 10000 characters", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OpenAi, "colour", "colour")]
    [InlineData(Hyperbolic, "colour", "colour")]
    [InlineData(Jobs, "colour", "colour")]
    public async Task Every_dialect_names_an_unknown_field_the_same_way(string path, string field, string param)
    {
        using var response = await Client.PostAsJsonAsync(path, Body(path, (field, "red")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("unknown_parameter", error.GetProperty("code").GetString());
        Assert.StartsWith($"Unknown parameter '{param}'.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OpenAi)]
    [InlineData(Hyperbolic)]
    public async Task A_batch_whose_last_seed_would_pass_2_to_the_32_is_refused(string path)
    {
        using var response = await Client.PostAsJsonAsync(path, Body(path, ("seed", 4_294_967_295L), ("n", 2)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("seed", (await ErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_batch_ending_at_the_largest_seed_reports_every_seed_as_one_a_client_can_send_back()
    {
        using var response = await Client.PostAsJsonAsync(Hyperbolic, Body(Hyperbolic, ("seed", 4_294_967_294L), ("n", 2)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seeds = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images").EnumerateArray()
            .Select(i => i.GetProperty("random_seed").GetUInt64());
        Assert.Equal([4_294_967_294UL, 4_294_967_295UL], seeds);
    }

    [Fact]
    public async Task The_job_api_takes_a_64_bit_seed_whose_noise_is_that_of_its_low_32_bits()
    {
        var large = (1L << 32) + 7;
        var pixels = new List<byte[]>();
        foreach (var (id, seed) in new[] { ("low", 7L), ("high", large) })
        {
            using var response = await Client.PostAsJsonAsync(Jobs, Body(Jobs, ("job_id", id), ("seed", seed)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var sent = seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(sent, response.Headers.GetValues("X-Seed").Single());
            var png = await Client.GetByteArrayAsync(await response.Content.ReadFromJsonAsync<string>());
            // The same pixels; the PNG's parameters name the seed as sent.
            Assert.Contains($", Seed: {sent}, ", PngText.Read(png)["parameters"]);
            pixels.Add(ImageCodec.Decode(png, new ImageDecodeLimits()).Rgba);
        }
        Assert.Equal(pixels[0], pixels[1]);
    }

    [Fact]
    public async Task The_openai_dialect_returns_the_engines_warnings()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("cat", 100));
        using var response = await Client.PostAsJsonAsync(OpenAi, Body(OpenAi, ("prompt", prompt)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var warning = Assert.Single(response.Headers.GetValues("X-Warnings"));
        Assert.Contains("100 tokens", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Hyperbolic, "width", "width")]
    [InlineData(Jobs, "width", "model_input.SD.width")]
    [InlineData(Jobs, "height", "model_input.SD.height")]
    public async Task The_engines_size_check_answers_in_the_dialects_field_names(string path, string field, string param)
    {
        using var response = await Client.PostAsJsonAsync(path, Body(path, (field, 100)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains("multiple of 8", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_job_is_not_kept()
    {
        using var response = await Client.PostAsJsonAsync(Jobs, Body(Jobs, ("job_id", "odd-size"), ("width", 100)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/jobs/odd-size")).StatusCode);
    }

    /// <summary>A small valid body of the dialect at <paramref name="path"/>, with <paramref name="fields"/> set (in SD for jobs).</summary>
    private static Dictionary<string, object?> Body(string path, params (string Name, object? Value)[] fields)
    {
        if (path == Jobs)
        {
            var sd = new Dictionary<string, object?> { ["prompt"] = "a lighthouse", ["width"] = 64, ["height"] = 64, ["num_iterations"] = 2 };
            var job = new Dictionary<string, object?> { ["job_id"] = "style", ["model_id"] = "tiny-sd", ["model_input"] = new Dictionary<string, object?> { ["SD"] = sd } };
            foreach (var (name, value) in fields)
            {
                if (name is "job_id" or "colour") job[name] = value;
                else sd[name] = value;
            }
            return job;
        }

        var body = path == OpenAi
            ? new Dictionary<string, object?> { ["model"] = "tiny-sd", ["prompt"] = "a lighthouse", ["size"] = "512x512" }
            : new Dictionary<string, object?> { ["model_name"] = "tiny-sd", ["prompt"] = "a lighthouse", ["width"] = 64, ["height"] = 64, ["steps"] = 2 };
        foreach (var (name, value) in fields) body[name] = value;
        return body;
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
}
