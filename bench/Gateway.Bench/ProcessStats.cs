namespace Gateway.Bench;

public static class ProcessStats
{
    /// <summary>Peak resident memory (VmHWM) in MiB, where /proc says it; otherwise the managed view.</summary>
    public static double PeakRssMib() => Status("VmHWM:");

    /// <summary>Resident memory now (VmRSS) in MiB.</summary>
    public static double RssMib() => Status("VmRSS:");

    private static double Status(string field)
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return double.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        return Environment.WorkingSet / 1024.0 / 1024;
    }
}
