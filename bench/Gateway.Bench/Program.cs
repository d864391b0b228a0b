using System.Globalization;
using System.Text.Json;
using Gateway.Bench;
using Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

// bash bench/run.sh [--quick | --full [--out DIR] | --gpu] [--model ID]
// The engine and server read the usual configuration from the environment, e.g. Gateway__ModelsDir,
// Gateway__ExecutionProvider=cuda (docs/gpu.md).
var mode = args.Contains("--gpu") ? "gpu" : args.Contains("--full") ? "full" : "quick";
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var model = Option("--model") ?? "tiny-sd";
var outDirectory = Option("--out") ?? Path.Combine("bench", "results");
var gateway = new ConfigurationBuilder().AddEnvironmentVariables().Build()
    .GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
var models = ModelsDirectory.Resolve(gateway.ModelsDir);
gateway.ModelsDir = models;
var report = new List<(string Name, double Value)>();
void Print(string name, double value)
{
    report.Add((name, value));
    Console.WriteLine($"{name}: {value.ToString("0.###", CultureInfo.InvariantCulture)}");
}

await using var gpuMemory = new GpuMemorySampler();
using (var engine = EngineFactory.Create(gateway, NullLoggerFactory.Instance))
{
    foreach (var (name, value) in await StageBench.RunAsync(engine, model, mode == "quick" ? 5 : 15)) Print(name, value);
    foreach (var (name, value) in await LoraBench.RunAsync(engine, model, mode == "quick" ? 5 : 15)) Print(name, value);
    foreach (var (name, value) in await PreviewBench.RunAsync(engine, model, mode == "quick" ? 5 : 15)) Print(name, value);
    Console.WriteLine($"execution_provider: {engine.ExecutionProvider}");
}
if (mode != "gpu")
    foreach (var (name, value) in await ArenaBench.RunAsync(gateway, model, mode == "quick" ? 7 : 21)) Print(name, value);
if (mode != "gpu")
    foreach (var (name, value) in CodecBench.Run(mode == "quick" ? 7 : 21)) Print(name, value);
if (mode != "gpu")
    foreach (var (name, value) in await ClusterBench.RunAsync(models, model, mode == "quick" ? 24 : 64)) Print(name, value);

await using (var http = await HttpBench.StartAsync(models, model))
{
    var warmRss = ProcessStats.RssMib();
    Print("rss_after_warmup_mib", warmRss);
    var (overhead, sequentialRate) = await http.SequentialAsync(mode == "quick" ? 20 : 48);
    Print("overhead_ratio", overhead);
    Print("sequential_images_per_s", sequentialRate);
    Print("image_latency_ms", 1000 / sequentialRate);
    var concurrent = await http.ConcurrentAsync(8, 3);
    Print("concurrent8_images_per_s", concurrent.ImagesPerSecond);
    Print("batch_speedup", concurrent.ImagesPerSecond / sequentialRate);
    if (mode != "gpu")
    {
        // RSS after load against RSS after warm-up: memory a large request took must come back.
        await http.StormAsync();
        var stormRss = ProcessStats.RssMib();
        Print("rss_after_storm_mib", stormRss);
        Print("rss_storm_ratio", stormRss / warmRss);
    }

    if (mode == "gpu")
    {
        foreach (var level in new[] { 1, 4 })
            Print($"concurrent{level}_images_per_s", (await http.ConcurrentAsync(level, 3)).ImagesPerSecond);
    }
    else if (mode == "full")
    {
        var points = new List<LoadPoint>();
        foreach (var level in new[] { 1, 2, 4, 8, 16 }) points.Add(await http.ConcurrentAsync(level, 3));
        Directory.CreateDirectory(outDirectory);
        var json = JsonSerializer.Serialize(new
        {
            machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), runtime = Environment.Version.ToString() },
            model,
            metrics = report.ToDictionary(r => r.Name, r => r.Value),
            load = points,
        }, new JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(outDirectory, "report.json"), json);
        ChartWriter.Write(Path.Combine(outDirectory, "load.png"), points,
            $"{model}, 512x512, 20 steps: latency and throughput against concurrency");
        Console.WriteLine($"report: {Path.Combine(outDirectory, "report.json")}, chart: {Path.Combine(outDirectory, "load.png")}");
    }
}
Print("peak_rss_mib", ProcessStats.PeakRssMib());
if (gpuMemory.PeakMib is { } vram) Print("peak_vram_mib", vram);
return 0;
