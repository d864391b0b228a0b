using System.Diagnostics;
using System.Net.Http.Json;
using Gateway.Diffusion.Engine;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>One concurrency level's result: median request latency and images per second.</summary>
public sealed record LoadPoint(int Concurrency, double LatencyMs, double ImagesPerSecond);

/// <summary>
/// End to end through the real server over loopback HTTP (the Hyperbolic endpoint, 512², 20 steps, guidance on):
/// the wall clock against the time the engine spent inside ONNX Runtime for the same requests, and throughput
/// with concurrent requests (which the engine batches) against sequential ones.
/// </summary>
public sealed class HttpBench : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly DiffusionEngine _engine;
    private readonly string _dataDirectory;
    private readonly string _model;
    private int _seed;

    private HttpBench(WebApplication app, HttpClient client, DiffusionEngine engine, string dataDirectory, string model)
    {
        (_app, _client, _engine, _dataDirectory, _model) = (app, client, engine, dataDirectory, model);
    }

    /// <summary>Starts the server (configured from the environment, e.g. <c>Gateway__ExecutionProvider=cuda</c>) and
    /// warms <paramref name="model"/> and the request path up, so the figures are those of a server in steady state.</summary>
    public static async Task<HttpBench> StartAsync(string modelsDirectory, string model)
    {
        var data = Directory.CreateTempSubdirectory("gateway-bench-").FullName;
        var app = GatewayServer.Build(["--urls", "http://127.0.0.1:0", "--Gateway:ModelsDir", modelsDirectory, "--Gateway:DataDir", data,
            "--Logging:LogLevel:Default", "Warning"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
        var engine = app.Services.GetRequiredService<DiffusionEngine>();
        while (!engine.IsReady) await Task.Delay(50);
        var bench = new HttpBench(app, client, engine, data, model);
        // Until the JIT has tiered the request path up (about a hundred requests on 2 cores, measured), latency
        // reflects compilation rather than the server.
        for (var i = 0; i < 100; i++) await bench.GenerateAsync();
        return bench;
    }

    /// <summary>Sequential requests: wall time ÷ time inside ONNX Runtime, and images per second.</summary>
    public async Task<(double OverheadRatio, double ImagesPerSecond)> SequentialAsync(int requests)
    {
        var before = _engine.Statistics.InsideOnnx;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < requests; i++) await GenerateAsync();
        var wall = Stopwatch.GetElapsedTime(started);
        var inside = _engine.Statistics.InsideOnnx - before;
        return (wall / inside, requests / wall.TotalSeconds);
    }

    /// <summary><paramref name="concurrency"/> clients, each sending <paramref name="rounds"/> requests back to back.</summary>
    public async Task<LoadPoint> ConcurrentAsync(int concurrency, int rounds)
    {
        var latencies = new List<double>();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            for (var r = 0; r < rounds; r++)
            {
                var one = Stopwatch.GetTimestamp();
                await GenerateAsync();
                lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(one).TotalMilliseconds);
            }
        }));
        var wall = Stopwatch.GetElapsedTime(started);
        return new LoadPoint(concurrency, CodecBench.Median(latencies), concurrency * rounds / wall.TotalSeconds);
    }

    /// <summary>The requests that grew a server's memory for good before: two of four 2048² images, then four 1024² at
    /// once; returns once the server has had the time to give memory back (see MemoryRelease).</summary>
    public async Task StormAsync()
    {
        for (var i = 0; i < 2; i++) await GenerateAsync(2048, 2, images: 4);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => GenerateAsync(1024, 2)));
        await Task.Delay(TimeSpan.FromSeconds(4));
    }

    private async Task GenerateAsync(int size = 512, int steps = 20, int images = 1)
    {
        var seed = Interlocked.Increment(ref _seed);
        using var response = await _client.PostAsJsonAsync("/v1/image/generation", new
        {
            model_name = _model,
            prompt = "a lighthouse on a cliff at dusk",
            width = size,
            height = size,
            steps,
            n = images,
            cfg_scale = 7.5,
            sampler = "Euler a",
            seed,
        });
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
