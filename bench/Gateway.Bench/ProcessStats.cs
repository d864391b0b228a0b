namespace Gateway.Bench;

public static class ProcessStats
{
    /// <summary>Peak resident memory (VmHWM) in MiB, where /proc says it; otherwise the managed view.</summary>
    public static double PeakRssMib()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        return Environment.WorkingSet / 1024.0 / 1024;
    }
}
