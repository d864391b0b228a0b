using System.Runtime.InteropServices;

namespace Gateway.Diffusion.Onnx;

/// <summary>Says why ONNX Runtime could not append its CUDA provider. ONNX Runtime's exception only says that a shared
/// library failed to load (the cause goes to its own log); loading the provider library again here gives the system's
/// reason, such as <c>libcublasLt.so.13: cannot open shared object file</c>.</summary>
internal static class CudaProviderDiagnosis
{
    private const string CoreLibrary = "libonnxruntime.so";
    private const string CudaProviderLibrary = "libonnxruntime_providers_cuda.so";

    public static string Explain(Exception failure)
    {
        if (LoadedCoreDirectory() is not { } directory) return failure.Message;
        var provider = Path.Combine(directory, CudaProviderLibrary);
        if (!File.Exists(provider))
            return $"{failure.Message.TrimEnd(' ', ':', '.')}; {directory} has no {CudaProviderLibrary}: a CPU-only ONNX Runtime";
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(provider));
            return failure.Message;
        }
        catch (DllNotFoundException missing)
        {
            return $"{failure.Message.TrimEnd(' ', ':', '.')}; loading {CudaProviderLibrary}: {SystemReason(missing.Message)}";
        }
    }

    /// <summary>The folder ONNX Runtime's core was loaded from, which is where it looks for its providers; Linux only,
    /// the one platform of the GPU package.</summary>
    private static string? LoadedCoreDirectory()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var suffix = "/" + CoreLibrary;
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line[(line.IndexOf('/') is var slash and >= 0 ? slash : line.Length)..])
            .FirstOrDefault(path => path.EndsWith(suffix, StringComparison.Ordinal));
        return mapped is null ? null : Path.GetDirectoryName(mapped);
    }

    /// <summary>.NET puts the dynamic loader's message (dlerror) on the last line of its own.</summary>
    private static string SystemReason(string message)
    {
        var trimmed = message.Trim();
        return trimmed[(trimmed.LastIndexOf('\n') + 1)..];
    }
}
