using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Tests.Imaging;
using Gateway.Tests.Support;

namespace Gateway.Tests.Studio;

/// <summary><c>GET /v1/images/history</c> and the parameters every storing path keeps with its images (one server;
/// each test uses its own API key's view or its own prompts).</summary>
public sealed class ImageHistoryTests(ImageHistoryTests.Server fixture) : IClassFixture<ImageHistoryTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public GatewayTestServer Gateway { get; private set; } = null!;

        public async Task InitializeAsync() => Gateway = await GatewayTestServer.StartAsync();

        public async Task DisposeAsync() => await Gateway.DisposeAsync();
    }

    private static async Task<JsonElement> HistoryAsync(HttpClient client, string query = "")
    {
        using var response = await client.GetAsync("/v1/images/history" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static JsonElement? Find(JsonElement page, string prompt) =>
        page.GetProperty("data").EnumerateArray().Cast<JsonElement?>()
            .FirstOrDefault(e => e!.Value.GetProperty("parameters").ValueKind == JsonValueKind.Object
                                 && e.Value.GetProperty("parameters").GetProperty("prompt").GetString() == prompt);

    [Fact]
    public async Task Every_storing_path_keeps_the_parameters_in_the_history_and_in_the_png()
    {
        using var client = fixture.Gateway.Client();
        using (var job = await client.PostAsJsonAsync("/submit_job", new
               {
                   job_id = "history-job", model_id = "tiny-sd",
                   // A dictionary: the serializer's camel-case policy would rename a property SD to "sd".
                   model_input = new Dictionary<string, object> { ["SD"] = new { prompt = "history job", neg_prompt = "blur", width = 64, height = 72, num_iterations = 3, guidance_scale = 6, seed = 11 } },
               }))
            Assert.Equal(HttpStatusCode.OK, job.StatusCode);
        using (var openAi = await client.PostAsJsonAsync("/v1/images/generations", new
               {
                   model = "tiny-sd", prompt = "history openai", size = "512x512", seed = 12, n = 2, response_format = "url",
               }))
            Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
        using (var hyperbolic = await client.PostAsJsonAsync("/v1/image/generation", new
               {
                   model_name = "tiny-sd", prompt = "history hyperbolic", width = 64, height = 64, steps = 2, sampler = "DDIM",
                   seed = 13, loras = new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.5 }, response_format = "url",
               }))
        {
            Assert.Equal(HttpStatusCode.OK, hyperbolic.StatusCode);
            var image = (await hyperbolic.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images")[0];
            Assert.Equal(JsonValueKind.Null, image.GetProperty("image").ValueKind);
            Assert.StartsWith(fixture.Gateway.BaseAddress + "images/", image.GetProperty("url").GetString());
        }

        var page = await HistoryAsync(client, "?limit=100");
        var job1 = Find(page, "history job")!.Value;
        Assert.Equal("history job\nNegative prompt: blur\nSteps: 3, Sampler: PNDM, CFG scale: 6, Seed: 11, Size: 64x72, Model: tiny-sd",
            job1.GetProperty("infotext").GetString());
        Assert.Equal("png", job1.GetProperty("output_format").GetString());
        Assert.Equal(job1.GetProperty("infotext").GetString(), PngText.Read(await client.GetByteArrayAsync(job1.GetProperty("url").GetString()))["parameters"]);

        var seeds = page.GetProperty("data").EnumerateArray()
            .Where(e => e.GetProperty("parameters").ValueKind == JsonValueKind.Object && e.GetProperty("parameters").GetProperty("prompt").GetString() == "history openai")
            .Select(e => e.GetProperty("parameters").GetProperty("seed").GetInt64()).Order().ToList();
        Assert.Equal([12L, 13L], seeds);

        var hyper = Find(page, "history hyperbolic")!.Value;
        Assert.Equal(0.5, hyper.GetProperty("parameters").GetProperty("loras").GetProperty("tiny-sd-kohya").GetDouble());
        Assert.Equal("history hyperbolic <lora:tiny-sd-kohya:0.5>\nSteps: 2, Sampler: DDIM, CFG scale: 5, Seed: 13, Size: 64x64, Model: tiny-sd",
            hyper.GetProperty("infotext").GetString());
    }

    [Fact]
    public async Task Pages_follow_each_other_newest_first_and_another_key_sees_none_of_them()
    {
        using var client = fixture.Gateway.Client(GatewayTestServer.OtherKey);
        for (var seed = 1; seed <= 3; seed++)
        {
            using var stored = await client.PostAsJsonAsync("/v1/image/generation", new
            {
                model_name = "tiny-sd", prompt = $"page {seed}", width = 64, height = 64, steps = 1, seed, response_format = "url",
            });
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }

        var first = await HistoryAsync(client, "?limit=2");
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var second = await HistoryAsync(client, $"?limit=2&after={first.GetProperty("last_id").GetString()}");
        Assert.False(second.GetProperty("has_more").GetBoolean());
        var prompts = first.GetProperty("data").EnumerateArray().Concat(second.GetProperty("data").EnumerateArray())
            .Select(e => e.GetProperty("parameters").GetProperty("prompt").GetString()).ToList();
        Assert.Equal(["page 3", "page 2", "page 1"], prompts);

        // The other key's history has none of them, and cannot page from one of them either.
        using var alice = fixture.Gateway.Client();
        Assert.Null(Find(await HistoryAsync(alice, "?limit=100"), "page 1"));
        using var foreign = await alice.GetAsync($"/v1/images/history?after={first.GetProperty("last_id").GetString()}");
        await AssertBadRequest(foreign, "after");
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?after=nope", "after")]
    [InlineData("?after=0123456789abcdef0123456789abcdef", "after")]
    public async Task Bad_paging_is_a_400_naming_the_field(string query, string field)
    {
        using var client = fixture.Gateway.Client();
        using var response = await client.GetAsync("/v1/images/history" + query);
        await AssertBadRequest(response, field);
    }

    [Fact]
    public async Task The_history_needs_a_key()
    {
        using var client = fixture.Gateway.Client(null);
        using var response = await client.GetAsync("/v1/images/history");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task AssertBadRequest(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(field, error.GetProperty("param").GetString());
    }
}
