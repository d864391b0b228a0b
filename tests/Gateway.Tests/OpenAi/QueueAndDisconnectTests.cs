using System.Net;
using System.Text;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.OpenAi.OpenAiTestSupport;

namespace Gateway.Tests.OpenAi;

/// <summary>A server with room for one waiting generation, whose worker the test holds inside a generation.</summary>
public sealed class QueueAndDisconnectTests
{
    private const string Body = """{"model": "tiny-sd", "prompt": "a lighthouse", "size": "512x512"}""";

    [Fact]
    public async Task A_full_queue_answers_429_and_a_client_that_leaves_gives_up_its_place()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string> { ["Gateway:MaxQueueLength"] = "1" });
        var engine = server.App.Services.GetRequiredService<DiffusionEngine>();
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocker = engine.GenerateAsync(
            new GenerationRequest { Model = "tiny-sd", Prompt = "x", Width = 64, Height = 64, Steps = 1, Seed = 1 },
            new GenerationOptions { Started = () => { running.Set(); release.Wait(); } });
        try
        {
            Assert.True(running.Wait(TimeSpan.FromSeconds(30)));
            using var client = server.Client();
            using var leave = new CancellationTokenSource();
            var waiting = client.PostAsync(GenerationsPath, new StringContent(Body, Encoding.UTF8, "application/json"), leave.Token);
            await Eventually(() => engine.QueueLength == 1);

            using var full = await client.GenerateAsync(Body);
            await AssertError(full, HttpStatusCode.TooManyRequests, null, "queue_full");
            Assert.Equal("rate_limit_error", (await ErrorOf(full)).GetProperty("type").GetString());
            Assert.True(full.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

            await leave.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
            await Eventually(() => engine.QueueLength == 0);
        }
        finally
        {
            release.Set();
            await blocker;
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(20);
        }
    }
}
