using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Support;

/// <summary>The server as its own process (<c>dotnet Gateway.dll</c> from the test output), for what only a process
/// shows: its exit code and standard error, and what a kill -9 leaves behind.</summary>
public sealed partial class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly System.Text.StringBuilder _stdout = new();

    private GatewayProcess(Process process) => _process = process;

    public string StandardError
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>What the server wrote to standard output so far: its log.</summary>
    public string StandardOutput
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    /// <summary>Starts the server on a free loopback port with the tiny models and one key (<see cref="GatewayTestServer.Key"/>).</summary>
    public static GatewayProcess Start(string dataDirectory, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "--urls", "http://127.0.0.1:0",
                     "--Gateway:ModelsDir", TestCatalogs.For(TestCatalogs.Sd), "--Gateway:DataDir", dataDirectory,
                     "--Gateway:ApiKeys:0", GatewayTestServer.Key, "--Logging:LogLevel:Default", "Warning",
                     "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
                 }.Concat(extra))
            info.ArgumentList.Add(arg);
        var gateway = new GatewayProcess(Process.Start(info)!);
        gateway._process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not { } text) return;
            lock (gateway._stdout) gateway._stdout.AppendLine(text);
            if (Listening().Match(text) is { Success: true } match) gateway._listening.TrySetResult(new Uri(match.Groups[1].Value));
        };
        gateway._process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null) return;
            lock (gateway._stderr) gateway._stderr.AppendLine(line.Data);
        };
        gateway._process.BeginOutputReadLine();
        gateway._process.BeginErrorReadLine();
        return gateway;
    }

    /// <summary>The address once the server listens and its models are ready.</summary>
    public async Task<Uri> ReadyAsync()
    {
        var address = await _listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = address };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await client.GetAsync("/readyz")).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The server process did not become ready in 60 s.");
            await Task.Delay(50);
        }
        return address;
    }

    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM: the stop a service manager or <c>docker stop</c> sends.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
