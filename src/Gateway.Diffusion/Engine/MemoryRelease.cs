using System.Runtime;
using System.Runtime.InteropServices;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// Hands memory back to the system a moment after a large run, once its response has been encoded and sent: a
/// compacting collection of the managed heap (large pixel and PNG buffers live in the large-object heap, which the
/// GC otherwise keeps committed) and glibc's <c>malloc_trim</c> (ONNX Runtime's freed activations stay in the C heap's
/// arenas until trimmed). Without it one 2048² request keeps the process gigabytes larger for good.
/// </summary>
internal sealed class MemoryRelease : IDisposable
{
    /// <summary>Runs of at least this many pixels (width × height × images) are followed by a release.</summary>
    public const long LargeRunPixels = 1024 * 1024;

    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);
    private readonly Timer _timer;

    public MemoryRelease() => _timer = new Timer(_ => Release(), null, Timeout.Infinite, Timeout.Infinite);

    /// <summary>After a run of <paramref name="pixels"/>: schedules a release, or moves the scheduled one later, so that
    /// back-to-back large runs release once, when they stop.</summary>
    public void AfterRun(long pixels)
    {
        if (pixels >= LargeRunPixels) _timer.Change(Delay, Timeout.InfiniteTimeSpan);
    }

    private static void Release()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): its allocator returns memory its own way.
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    public void Dispose() => _timer.Dispose();
}
