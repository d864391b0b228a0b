using System.Diagnostics;
using System.Globalization;

namespace Gateway.Bench;

/// <summary>Peak GPU memory in use while a benchmark runs, sampled from nvidia-smi every 100 ms; null without one.</summary>
public sealed class GpuMemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private double? _peakMib;

    public GpuMemorySampler() => _sampling = Task.Run(SampleAsync);

    public double? PeakMib => _peakMib;

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (await ReadUsedMibAsync() is not { } used) return;
            _peakMib = Math.Max(_peakMib ?? 0, used);
            try { await Task.Delay(100, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static async Task<double?> ReadUsedMibAsync()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=memory.used --format=csv,noheader,nounits")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null) return null;
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 && double.TryParse(text.Split('\n')[0].Trim(), CultureInfo.InvariantCulture, out var mib) ? mib : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
