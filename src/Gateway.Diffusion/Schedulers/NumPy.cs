namespace Gateway.Diffusion.Schedulers;

/// <summary>The few numpy routines diffusers builds its schedules with, reproduced to the last rounding so that
/// timesteps and sigmas come out identical.</summary>
internal static class NumPy
{
    /// <summary><c>np.linspace(start, stop, n)</c> (endpoint included): <c>i·step + start</c>, the last value set to stop.</summary>
    public static double[] Linspace(double start, double stop, int n)
    {
        var result = new double[n];
        if (n == 1)
        {
            result[0] = start;
            return result;
        }
        var step = (stop - start) / (n - 1);
        for (var i = 0; i < n; i++)
            result[i] = i * step + start;
        result[n - 1] = stop;
        return result;
    }

    /// <summary><c>np.arange(start, stop, step)</c> for floats: length ⌈(stop − start)/step⌉; numpy writes start and
    /// start + step, then fills the rest as start + i·(second − first).</summary>
    public static double[] Arange(double start, double stop, double step)
    {
        var length = (int)Math.Max(Math.Ceiling((stop - start) / step), 0);
        var result = new double[length];
        if (length > 0)
            result[0] = start;
        if (length > 1)
            result[1] = start + step;
        var delta = length > 1 ? result[1] - result[0] : 0;
        for (var i = 2; i < length; i++)
            result[i] = start + i * delta;
        return result;
    }

    /// <summary><c>np.interp(x, arange(len(fp)), fp)</c>: piecewise-linear lookup of <paramref name="fp"/> at the
    /// fractional index <paramref name="x"/>, clamped to the ends.</summary>
    public static double InterpAtIndex(double x, ReadOnlySpan<float> fp)
    {
        var last = fp.Length - 1;
        if (x <= 0)
            return fp[0];
        if (x >= last)
            return fp[last];
        var j = (int)Math.Floor(x);
        var slope = (double)fp[j + 1] - fp[j];
        return slope * (x - j) + fp[j];
    }
}
