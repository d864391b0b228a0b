using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Tests.Jobs;

/// <summary>Requests of the job API as a client sends them, and polling of <c>GET /jobs</c>.</summary>
internal static class JobsHttp
{
    public const string Model = "tiny-sd";

    /// <summary>A small job; sizes differ between jobs in ordering tests so that no two can share a batched run.</summary>
    public static Dictionary<string, object?> Job(string jobId, int width = 64, int height = 64, int steps = 2,
        long? seed = null, double? deadline = null, int? priority = null) => new()
    {
        ["job_id"] = jobId,
        ["model_input"] = new Dictionary<string, object?>
        {
            ["SD"] = new Dictionary<string, object?>
            {
                ["prompt"] = "a lighthouse at dusk",
                ["width"] = width,
                ["height"] = height,
                ["num_iterations"] = steps,
                ["seed"] = seed,
            },
        },
        ["model_id"] = Model,
        ["deadline"] = deadline,
        ["priority"] = priority,
    };

    /// <summary>A job long enough (2048², 50 steps: many seconds) to hold the worker while a test arranges the queue;
    /// tests end it with DELETE.</summary>
    public static Dictionary<string, object?> Holder(string jobId) => Job(jobId, 2048, 2048, 50, deadline: 600);

    public static Task<HttpResponseMessage> SubmitAsync(HttpClient client, Dictionary<string, object?> job) =>
        client.PostAsJsonAsync("/submit_job", job);

    public static async Task<JsonElement> GetJobAsync(HttpClient client, string jobId)
    {
        using var response = await client.GetAsync($"/jobs/{jobId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls the job until <paramref name="condition"/> holds (30 s at most). Fails at once with the answer if
    /// <paramref name="submission"/> ends first (e.g. the job was refused).</summary>
    public static async Task<JsonElement> WaitForAsync(HttpClient client, string jobId, Task<HttpResponseMessage> submission,
        Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync($"/jobs/{jobId}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var job = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (condition(job)) return job;
            }
            if (submission.IsCompleted)
            {
                var answer = await submission;
                Assert.Fail($"Job '{jobId}' ended before reaching the expected state: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job '{jobId}' did not reach the expected state in 30 s.");
            await Task.Delay(20);
        }
    }

    public static Task<JsonElement> WaitUntilRunningAsync(HttpClient client, string jobId, Task<HttpResponseMessage> submission) =>
        WaitForAsync(client, jobId, submission, job => Status(job) == "running");

    public static Task<JsonElement> WaitUntilQueuedAsync(HttpClient client, string jobId, Task<HttpResponseMessage> submission) =>
        WaitForAsync(client, jobId, submission, job => job.GetProperty("queue_position").ValueKind == JsonValueKind.Number);

    public static string? Status(JsonElement job) => job.GetProperty("status").GetString();

    /// <summary>The <c>error</c> object of an error envelope.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
}
