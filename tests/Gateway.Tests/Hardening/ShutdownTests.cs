using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gateway.Tests.Jobs;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hardening;

/// <summary>SIGTERM while a long generation runs: the process ends within <c>Gateway:ShutdownTimeoutSeconds</c>.</summary>
public sealed class ShutdownTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("gateway-shutdown-").FullName;

    [Fact]
    public async Task Sigterm_mid_run_exits_within_the_shutdown_timeout()
    {
        using var gateway = GatewayProcess.Start(_data, "--Gateway:ShutdownTimeoutSeconds", "3");
        var address = await gateway.ReadyAsync();
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayTestServer.Key);
        var openAi = client.PostAsync("/v1/images/generations", new StringContent(
            """{"model":"tiny-sd","prompt":"a lighthouse","size":"1024x1024"}""", System.Text.Encoding.UTF8, "application/json"));
        var job = client.PostAsJsonAsync("/submit_job", JobsHttp.Holder("long"));
        await JobsHttp.WaitForAsync(client, "long", job, j => JobsHttp.Status(j) is "running" or "queued");

        var clock = Stopwatch.StartNew();
        gateway.Terminate();
        var code = await gateway.ExitCodeAsync(TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3 + 5), $"exited after {clock.Elapsed}");
        Assert.Equal(0, code);
        using var answered = await job;
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, answered.StatusCode);
        // The OpenAI request was given until the timeout to finish, then its connection was closed; either way it ended.
        await Task.WhenAny(openAi, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(openAi.IsCompleted);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
