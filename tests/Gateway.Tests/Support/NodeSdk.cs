using System.Diagnostics;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>
/// The official Node <c>openai</c> SDK, as JavaScript users call the server: installed with npm from the registry once
/// per machine into a scratch folder (never into the repository), and ES-module scripts run against a server by
/// <c>node</c>. The scripts read <c>GATEWAY_URL</c> (the server's <c>/v1</c>) and <c>GATEWAY_KEY</c>.
/// </summary>
public static class NodeSdk
{
    public const string Version = "7.55.0";

    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);

    /// <summary>Runs <paramref name="script"/> and returns its standard output; throws with its standard error when it fails.</summary>
    public static async Task<string> RunAsync(GatewayTestServer server, string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        var folder = await Installed.Value;
        var file = Path.Combine(folder, $"script-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
            {
                ["GATEWAY_URL"] = new Uri(server.BaseAddress, "v1").ToString(),
                ["GATEWAY_KEY"] = GatewayTestServer.Key,
            };
            var (code, output, error) = await RunProcessAsync("node", [file], folder, variables, TimeSpan.FromMinutes(2));
            if (code != 0) throw new InvalidOperationException($"node exited with {code}:\n{error}\n{output}");
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> InstallAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-tests-node-openai-{Version}");
        if (File.Exists(Path.Combine(folder, "node_modules", "openai", "package.json"))) return folder;
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "package.json"), "{\"private\": true, \"type\": \"module\"}\n");
        var (code, output, error) = await RunProcessAsync("npm",
            ["install", "--no-audit", "--no-fund", "--loglevel=error", $"openai@{Version}"], folder, new Dictionary<string, string>(),
            TimeSpan.FromMinutes(5));
        if (code != 0) throw new InvalidOperationException($"npm install openai@{Version} failed ({code}); the Node tests need node and npm:\n{error}\n{output}");
        return folder;
    }

    private static async Task<(int Code, string Output, string Error)> RunProcessAsync(string program, IEnumerable<string> arguments,
        string directory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran longer than {timeout}.");
        }
        return (process.ExitCode, await output, await error);
    }
}
