using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Diffusion.Imaging;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Jobs;

/// <summary>POST /submit_job over real HTTP: the answer, the stored image, the job record, validation and key isolation.</summary>
public sealed class SubmitJobTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly GatewayTestServer _server = shared.Server;

    [Fact]
    public async Task Answers_a_json_string_with_the_url_of_a_stored_image_of_the_asked_size()
    {
        using var client = _server.Client();
        using var response = await SubmitAsync(client, Job("url-1", width: 128, height: 64, steps: 3));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        // The Heurist SDK reads the raw text and strips the quotes: the body must be exactly a JSON string.
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("\"", text);
        var url = JsonSerializer.Deserialize<string>(text)!;
        Assert.Matches($"^{_server.BaseAddress.ToString().TrimEnd('/')}/images/[0-9a-f]{{32}}\\.png$", url);
        var seed = ulong.Parse(response.Headers.GetValues("X-Seed").Single());

        var image = ImageCodec.Decode(await client.GetByteArrayAsync(url), new ImageDecodeLimits());
        Assert.Equal((128, 64), (image.Width, image.Height));

        var job = await GetJobAsync(client, "url-1");
        Assert.Equal("succeeded", Status(job));
        Assert.Equal(url, job.GetProperty("image_url").GetString());
        Assert.Equal(seed, job.GetProperty("seed").GetUInt64());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("queue_position").ValueKind);
        Assert.Equal(3, job.GetProperty("progress").GetProperty("step").GetInt32());
        Assert.Equal(3, job.GetProperty("progress").GetProperty("steps").GetInt32());
        Assert.Equal(CreditCost.For(128, 64, 3, 0.5), job.GetProperty("credits").GetDouble());
        var created = DateTimeOffset.Parse(job.GetProperty("created_at").GetString()!);
        var started = DateTimeOffset.Parse(job.GetProperty("started_at").GetString()!);
        var finished = DateTimeOffset.Parse(job.GetProperty("finished_at").GetString()!);
        Assert.True(created <= started && started <= finished);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_image_bytes()
    {
        using var client = _server.Client();
        var urls = new List<string>();
        foreach (var id in new[] { "seed-a", "seed-b" })
        {
            using var response = await SubmitAsync(client, Job(id, seed: 4_294_967_295));
            Assert.Equal("4294967295", response.Headers.GetValues("X-Seed").Single());
            urls.Add((await response.Content.ReadFromJsonAsync<string>())!);
        }
        Assert.NotEqual(urls[0], urls[1]);
        Assert.Equal(await client.GetByteArrayAsync(urls[0]), await client.GetByteArrayAsync(urls[1]));
    }

    [Fact]
    public async Task A_duplicate_job_id_for_the_same_key_is_409_and_another_key_may_use_it()
    {
        using var alice = _server.Client();
        using var bob = _server.Client(GatewayTestServer.OtherKey);
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(alice, Job("dup-1"))).StatusCode);

        using var duplicate = await SubmitAsync(alice, Job("dup-1", width: 128));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var error = await ErrorAsync(duplicate);
        Assert.Equal("duplicate_job_id", error.GetProperty("code").GetString());
        Assert.Equal("job_id", error.GetProperty("param").GetString());

        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(bob, Job("dup-1"))).StatusCode);
    }

    [Fact]
    public async Task A_job_is_visible_only_to_its_own_key()
    {
        using var alice = _server.Client();
        using var bob = _server.Client(GatewayTestServer.OtherKey);
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(alice, Job("private-1"))).StatusCode);

        foreach (var response in new[] { await bob.GetAsync("/jobs/private-1"), await bob.DeleteAsync("/jobs/private-1") })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("job_not_found", (await ErrorAsync(response)).GetProperty("code").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/jobs/private-1")).StatusCode);
    }

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { """{"model_input":{"SD":{"prompt":"x"}},"model_id":"tiny-sd"}""", "job_id", "missing_required_parameter" },
        { """{"job_id":"has space","model_input":{"SD":{"prompt":"x"}},"model_id":"tiny-sd"}""", "job_id", "invalid_value" },
        { "{\"job_id\":\"" + new string('a', 129) + "\",\"model_input\":{\"SD\":{\"prompt\":\"x\"}},\"model_id\":\"tiny-sd\"}", "job_id", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x"}}}""", "model_id", "missing_required_parameter" },
        { """{"job_id":"v","model_id":"tiny-sd"}""", "model_input", "missing_required_parameter" },
        { """{"job_id":"v","model_input":{"XL":{}},"model_id":"tiny-sd"}""", "model_input.SD", "missing_required_parameter" },
        { """{"job_id":"v","model_input":{"SD":{}},"model_id":"tiny-sd"}""", "model_input.SD.prompt", "missing_required_parameter" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"  "}},"model_id":"tiny-sd"}""", "model_input.SD.prompt", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","num_iterations":51}},"model_id":"tiny-sd"}""", "model_input.SD.num_iterations", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","num_iterations":2.5}},"model_id":"tiny-sd"}""", "model_input.SD.num_iterations", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","width":100}},"model_id":"tiny-sd"}""", "model_input.SD.width", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","height":4096}},"model_id":"tiny-sd"}""", "model_input.SD.height", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","height":"512"}},"model_id":"tiny-sd"}""", "model_input.SD.height", "invalid_type" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","guidance_scale":31}},"model_id":"tiny-sd"}""", "model_input.SD.guidance_scale", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","seed":-2}},"model_id":"tiny-sd"}""", "model_input.SD.seed", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","seed":9223372036854775808}},"model_id":"tiny-sd"}""", "model_input.SD.seed", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x","steps":4}},"model_id":"tiny-sd"}""", "model_input.SD.steps", "unknown_parameter" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x"}},"model_id":"tiny-sd","deadline":0}""", "deadline", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x"}},"model_id":"tiny-sd","priority":"high"}""", "priority", "invalid_type" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x"}},"model_id":"tiny-sd","model_type":"LLM"}""", "model_type", "invalid_value" },
        { """{"job_id":"v","model_input":{"SD":{"prompt":"x"}},"model_id":"tiny-sd","webhook":"x"}""", "webhook", "unknown_parameter" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Bad_input_is_400_naming_the_json_path(string body, string param, string code)
    {
        using var client = _server.Client();
        using var response = await client.PostAsync("/submit_job", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_unknown_model_is_404_on_model_id_and_a_missing_key_is_401()
    {
        using var client = _server.Client();
        var job = Job("unknown-model");
        job["model_id"] = "no-such-model";
        using var unknown = await SubmitAsync(client, job);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("model_id", (await ErrorAsync(unknown)).GetProperty("param").GetString());

        using var anonymous = _server.Client(key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SubmitAsync(anonymous, Job("no-key"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/jobs/no-key")).StatusCode);
    }

    [Fact]
    public async Task Defaults_apply_and_the_sdk_shape_is_accepted()
    {
        using var client = _server.Client();
        // What the Heurist SDK sends, less the size (the 512 default would be slow to test): model_type, a seed, priority.
        var body = """
            {"job_id":"imagine-0a1b2c3d4e","model_input":{"SD":{"prompt":"a cat","neg_prompt":"blurry","num_iterations":2,
             "guidance_scale":5,"width":64,"seed":7}},"model_type":"SD","model_id":"tiny-sd","deadline":30,"priority":1}
            """;
        using var response = await client.PostAsync("/submit_job", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var job = await GetJobAsync(client, "imagine-0a1b2c3d4e");
        Assert.Equal(64, job.GetProperty("width").GetInt32());
        Assert.Equal(512, job.GetProperty("height").GetInt32());
        Assert.Equal(7UL, job.GetProperty("seed").GetUInt64());
        var created = DateTimeOffset.Parse(job.GetProperty("created_at").GetString()!);
        Assert.Equal(TimeSpan.FromSeconds(30), DateTimeOffset.Parse(job.GetProperty("deadline_at").GetString()!) - created);
    }

    [Fact]
    public async Task Models_are_listed_in_the_heurist_style()
    {
        using var client = _server.Client(key: null);
        var models = await client.GetFromJsonAsync<JsonElement>("/models");
        var tiny = models.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tiny-sd");
        Assert.Equal("sd15", tiny.GetProperty("type").GetString());
        Assert.Equal("", tiny.GetProperty("autofill").GetString());
        Assert.Equal(0.5, tiny.GetProperty("credit_multiplier").GetDouble());
        var defaults = tiny.GetProperty("defaults");
        Assert.Equal(20, defaults.GetProperty("num_iterations").GetInt32());
        Assert.Equal(512, defaults.GetProperty("width").GetInt32());
        Assert.Equal(7.5, defaults.GetProperty("guidance_scale").GetDouble());
    }
}
