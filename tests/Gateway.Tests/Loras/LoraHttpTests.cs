using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Hyperbolic;
using Gateway.Tests.Support;

namespace Gateway.Tests.Loras;

/// <summary>A server with tiny-sd and its composite model tiny-sd-pixel (tiny-sd + the tiny-sd-kohya LoRA at 0.8).</summary>
public sealed class LoraServer : IAsyncLifetime
{
    public GatewayTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GatewayTestServer.StartAsync(models: ["tiny-sd", "tiny-sd-pixel"]);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>LoRAs over HTTP: Hyperbolic <c>loras</c>, the LoRA list, composite models on the job API and /v1/models.</summary>
public sealed class LoraHttpTests(LoraServer shared) : IClassFixture<LoraServer>
{
    private readonly GatewayTestServer _server = shared.Server;

    private async Task<string> HyperbolicImage(HttpClient client, object? loras)
    {
        var body = HyperbolicFixture.Body(("loras", loras));
        using var response = await client.PostAsJsonAsync(HyperbolicFixture.GenerationPath, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("images")[0].GetProperty("image").GetString()!;
    }

    [Fact]
    public async Task Hyperbolic_loras_with_two_loras_change_the_image_and_leave_plain_requests_as_they_were()
    {
        using var client = _server.Client();
        var plain = await HyperbolicImage(client, null);
        var two = await HyperbolicImage(client, new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.7, ["tiny-sd-peft"] = 0.6 });
        var one = await HyperbolicImage(client, new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.7 });
        Assert.NotEqual(plain, two);
        Assert.NotEqual(one, two);
        Assert.Equal(plain, await HyperbolicImage(client, null));
        Assert.Equal(plain, await HyperbolicImage(client, new Dictionary<string, double>()));
    }

    public static TheoryData<string, Dictionary<string, double>, string> Refused() => new()
    {
        { "unknown", new() { ["Pixel_Art"] = 0.7 }, "Unknown LoRA 'Pixel_Art'" },
        { "other family", new() { ["tiny-sdxl-kohya"] = 0.7 }, "is for sdxl models" },
        { "weight", new() { ["tiny-sd-kohya"] = 2.5 }, "must be -2..2" },
        { "too many", new() { ["tiny-sd-kohya"] = 1, ["tiny-sd-peft"] = 1, ["a"] = 1, ["b"] = 1, ["c"] = 1, ["d"] = 1 }, "At most 5" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Bad_loras_are_400_naming_loras(string why, Dictionary<string, double> loras, string message)
    {
        using var client = _server.Client();
        using var response = await client.PostAsJsonAsync(HyperbolicFixture.GenerationPath, HyperbolicFixture.Body(("loras", loras)));
        var error = await HyperbolicFixture.ErrorOf(response, HttpStatusCode.BadRequest);
        Assert.Equal("loras", error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public async Task A_weight_beyond_double_range_is_400_not_500()
    {
        using var client = _server.Client();
        var json = """{"model_name":"tiny-sd","prompt":"x","width":64,"height":64,"steps":1,"loras":{"tiny-sd-kohya":1e400}}""";
        using var response = await client.PostAsync(HyperbolicFixture.GenerationPath, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var error = await HyperbolicFixture.ErrorOf(response, HttpStatusCode.BadRequest);
        Assert.Equal("loras", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task The_lora_list_names_each_lora_with_its_families_and_models()
    {
        using var client = _server.Client();
        var list = await client.GetFromJsonAsync<JsonElement>("/v1/image/loras");
        var loras = list.GetProperty("loras").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.Equal(["tiny-sd-kohya", "tiny-sd-peft", "tiny-sdxl-kohya", "tiny-sdxl-peft"], loras.Keys);
        var kohya = loras["tiny-sd-kohya"];
        Assert.Equal("sd15", kohya.GetProperty("family").GetString());
        Assert.Contains("composite15", kohya.GetProperty("applies_to").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["tiny-sd", "tiny-sd-pixel"], kohya.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(0.8, kohya.GetProperty("default_weight").GetDouble());
        Assert.Equal(["pixel art"], kohya.GetProperty("autofill").EnumerateArray().Select(m => m.GetString()));
        Assert.Empty(loras["tiny-sdxl-peft"].GetProperty("models").EnumerateArray());
    }

    [Fact]
    public async Task Composite_models_show_their_base_and_lora()
    {
        using var client = _server.Client();
        var openAi = await client.GetFromJsonAsync<JsonElement>("/v1/models");
        var pixel = openAi.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "tiny-sd-pixel");
        Assert.Equal("composite15", pixel.GetProperty("family").GetString());
        Assert.Equal("tiny-sd", pixel.GetProperty("base").GetString());
        Assert.Equal("tiny-sd-kohya", pixel.GetProperty("lora").GetProperty("id").GetString());
        Assert.Equal(0.8, pixel.GetProperty("lora").GetProperty("weight").GetDouble());

        var jobs = await client.GetFromJsonAsync<JsonElement>("/models");
        var job = jobs.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tiny-sd-pixel");
        Assert.Equal("composite15", job.GetProperty("type").GetString());
        Assert.Equal("tiny-sd", job.GetProperty("base").GetString());
        Assert.Equal("tiny-sd-kohya", job.GetProperty("lora").GetString());
        Assert.Equal("pixel art", job.GetProperty("autofill").GetString());
    }

    private async Task<byte[]> JobImage(HttpClient client, string jobId, string model, string prompt)
    {
        var job = Jobs.JobsHttp.Job(jobId, seed: 7);
        job["model_id"] = model;
        ((Dictionary<string, object?>)((Dictionary<string, object?>)job["model_input"]!)["SD"]!)["prompt"] = prompt;
        using var response = await Jobs.JobsHttp.SubmitAsync(client, job);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return await client.GetByteArrayAsync(JsonSerializer.Deserialize<string>(text));
    }

    [Fact]
    public async Task A_composite_job_runs_its_lora_with_its_trigger_words_in_front_of_the_prompt()
    {
        using var client = _server.Client();
        var autofilled = await JobImage(client, "pixel-1", "tiny-sd-pixel", "a lighthouse");
        var spelled = await JobImage(client, "pixel-2", "tiny-sd-pixel", "pixel art, a lighthouse");
        var baseModel = await JobImage(client, "pixel-3", "tiny-sd", "pixel art, a lighthouse");
        Assert.Equal(spelled, autofilled);
        Assert.NotEqual(baseModel, spelled);
        // The job record shows the prompt as it ran, trigger words in front.
        var record = await Gateway.Tests.Jobs.JobsHttp.GetJobAsync(client, "pixel-1");
        Assert.Equal("pixel art, a lighthouse", record.GetProperty("prompt").GetString());
        Assert.Equal("pixel art, a lighthouse", (await Gateway.Tests.Jobs.JobsHttp.GetJobAsync(client, "pixel-2")).GetProperty("prompt").GetString());
    }
}
