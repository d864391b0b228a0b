using System.Globalization;
using System.Text.Json;
using Gateway.Bench;
using Gateway.Hosting;

// bash bench/run.sh [--quick | --full [--out DIR] | --gpu]
var quick = !args.Contains("--full");
if (args.Contains("--gpu"))
{
    Console.Error.WriteLine("--gpu needs the CUDA build of ONNX Runtime (dotnet build -p:OnnxRuntimeFlavor=Gpu) and full-size models; " +
                            "this build runs on the CPU only. See README, Limitations.");
    return 2;
}
var outDirectory = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("bench", "results");
var models = ModelsDirectory.Resolve("onnx-models");
var report = new List<(string Name, double Value)>();
void Print(string name, double value)
{
    report.Add((name, value));
    Console.WriteLine($"{name}: {value.ToString("0.###", CultureInfo.InvariantCulture)}");
}

foreach (var (name, value) in await StageBench.RunAsync(models, quick ? 5 : 15)) Print(name, value);
foreach (var (name, value) in CodecBench.Run(quick ? 7 : 21)) Print(name, value);

await using (var http = await HttpBench.StartAsync(models))
{
    var (overhead, sequentialRate) = await http.SequentialAsync(quick ? 8 : 24);
    Print("overhead_ratio", overhead);
    Print("sequential_images_per_s", sequentialRate);
    var concurrent = await http.ConcurrentAsync(8, quick ? 1 : 3);
    Print("concurrent8_images_per_s", concurrent.ImagesPerSecond);
    Print("batch_speedup", concurrent.ImagesPerSecond / sequentialRate);

    if (!quick)
    {
        var points = new List<LoadPoint>();
        foreach (var level in new[] { 1, 2, 4, 8, 16 }) points.Add(await http.ConcurrentAsync(level, 3));
        Directory.CreateDirectory(outDirectory);
        var json = JsonSerializer.Serialize(new
        {
            machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), runtime = Environment.Version.ToString() },
            metrics = report.ToDictionary(r => r.Name, r => r.Value),
            load = points,
        }, new JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(outDirectory, "report.json"), json);
        ChartWriter.Write(Path.Combine(outDirectory, "load.png"), points, "tiny-sd, 512x512, 20 steps, CPU: latency and throughput against concurrency");
        Console.WriteLine($"report: {Path.Combine(outDirectory, "report.json")}, chart: {Path.Combine(outDirectory, "load.png")}");
    }
}
Print("peak_rss_mib", ProcessStats.PeakRssMib());
return 0;
