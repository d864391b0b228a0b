using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Gateway.Bench;

/// <summary>
/// <c>cluster_speedup</c>: images/s of two gateway nodes on one Redis ÷ one node, the same jobs sent round robin, 8 at a
/// time. Both nodes share this machine's cores, so on a small machine the figure says what the cluster's overhead
/// costs more than what a second machine would add; each node gets its share of the cores for ONNX Runtime, so that
/// two nodes do not oversubscribe them.
/// </summary>
internal static partial class ClusterBench
{
    public static async Task<IReadOnlyList<(string Name, double Value)>> RunAsync(string modelsDirectory, string model, int jobs)
    {
        if (!File.Exists("/usr/bin/redis-server"))
        {
            Console.WriteLine("cluster_speedup: skipped (no /usr/bin/redis-server)");
            return [];
        }
        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("gateway-bench-cluster-").FullName;
        using var redis = Start("redis-server", ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            "--dir", directory]);
        try
        {
            await Task.Delay(500);
            var one = await RateAsync(1, "one:");
            var two = await RateAsync(2, "two:");
            return [("cluster_1node_images_per_s", one), ("cluster_2node_images_per_s", two), ("cluster_speedup", two / one)];
        }
        finally
        {
            redis.Kill();
            Directory.Delete(directory, recursive: true);
        }

        async Task<double> RateAsync(int nodes, string prefix)
        {
            var data = Path.Combine(directory, prefix.TrimEnd(':'));
            var threads = Math.Max(1, Environment.ProcessorCount / nodes).ToString(CultureInfo.InvariantCulture);
            var processes = Enumerable.Range(0, nodes).Select(i => Start("dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "--urls", "http://127.0.0.1:0", "--Gateway:ModelsDir", modelsDirectory,
                "--Gateway:DataDir", data, "--Gateway:Redis", $"127.0.0.1:{port}", "--Gateway:Cluster:KeyPrefix", prefix,
                "--Gateway:Cluster:NodeName", $"bench{i}", "--Gateway:LoadModels", model, "--Gateway:IntraOpThreads", threads, "--Logging:LogLevel:Default", "Warning",
                "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
            ])).ToList();
            try
            {
                var clients = new List<HttpClient>();
                foreach (var process in processes) clients.Add(new HttpClient { BaseAddress = await ListeningAsync(process), Timeout = TimeSpan.FromMinutes(5) });
                foreach (var client in clients)
                    while (!(await client.GetAsync("/readyz")).IsSuccessStatusCode) await Task.Delay(100);
                await SendAsync(clients, prefix + "warm", 8);
                var started = Stopwatch.GetTimestamp();
                await SendAsync(clients, prefix + "run", jobs);
                return jobs / Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
            finally
            {
                foreach (var process in processes)
                {
                    process.Kill();
                    process.Dispose();
                }
            }
        }

        async Task SendAsync(List<HttpClient> clients, string name, int count)
        {
            using var gate = new SemaphoreSlim(8);
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    using var response = await clients[i % clients.Count].PostAsJsonAsync("/submit_job", new Dictionary<string, object>
                    {
                        ["job_id"] = $"{name}-{i}",
                        ["model_id"] = model,
                        ["model_input"] = new Dictionary<string, object>
                        {
                            ["SD"] = new Dictionary<string, object>
                            {
                                ["prompt"] = "a lighthouse at dusk", ["width"] = 512, ["height"] = 512, ["num_iterations"] = 20,
                            },
                        },
                    });
                    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
    }

    private static Process Start(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<Uri> ListeningAsync(Process process)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
            if (Listening().Match(line) is { Success: true } match)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return new Uri(match.Groups[1].Value);
            }
        throw new InvalidOperationException("A gateway node exited before it listened.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
