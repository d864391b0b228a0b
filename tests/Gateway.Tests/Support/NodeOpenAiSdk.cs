using System.Diagnostics;

namespace Gateway.Tests.Support;

/// <summary>
/// The official Node <c>openai</c> package, installed with npm into a folder of the machine's temp directory on first
/// use (never into the repository), and scripts run against it with node.
/// </summary>
public static class NodeOpenAiSdk
{
    public const string Version = "7.55.0";
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"gateway-tests-openai-node-{Version}");

    /// <summary>Runs an ES module <paramref name="script"/> (it may <c>import OpenAI from "openai"</c>) with
    /// <paramref name="environment"/>; returns its standard output, failing with its errors when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        await EnsureInstalledAsync();
        var file = Path.Combine(Folder, $"script-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var (code, output, error) = await RunProcessAsync("node", [file], environment);
            Assert.True(code == 0, $"node exited with {code}: {error}");
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(Folder, "node_modules", "openai", "package.json"))) return;
            Directory.CreateDirectory(Folder);
            var (code, _, error) = await RunProcessAsync("npm",
                ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", Folder, $"openai@{Version}"], new Dictionary<string, string>());
            Assert.True(code == 0, $"npm install openai@{Version} failed ({code}): {error}");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunProcessAsync(string program, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Folder };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
