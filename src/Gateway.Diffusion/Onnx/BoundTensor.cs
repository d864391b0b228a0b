using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// One tensor bound to a session for many runs: the host tensor the engine writes and reads and, when the session
/// keeps its tensors on a device, the device tensor the session reads or writes. What the host writes goes to the
/// device once, before the next run that reads it.
/// </summary>
internal sealed class BoundTensor : IDisposable
{
    private readonly IDeviceMemory? _memory;
    private readonly DeviceTensor? _device;
    private bool _written = true;

    /// <param name="memory">The session's device memory, or null when the session reads the host tensor itself.</param>
    public BoundTensor(OnnxTensor host, IDeviceMemory? memory)
    {
        Host = host;
        _memory = memory;
        _device = memory?.Allocate(host.ElementType, host.Shape);
    }

    public OnnxTensor Host { get; }

    /// <summary>What the session is bound to: the device tensor, or the host tensor.</summary>
    public OrtValue Value => _device?.Value ?? Host.Value;

    public bool OnDevice => _device is not null;

    /// <summary>Says that the host tensor was written; the device gets it with the next <see cref="Upload"/>.</summary>
    public void Written() => _written = true;

    /// <summary>Says that the device tensor was written in place (by another session bound to it): the host copy is stale,
    /// and must not overwrite it.</summary>
    public void WrittenOnDevice() => _written = false;

    /// <summary>Copies the host tensor to the device if it was written since; true when it copied.</summary>
    public bool Upload()
    {
        if (!_written || _device is null) return false;
        _memory!.CopyToDevice(Host, _device);
        _written = false;
        return true;
    }

    /// <summary>Copies the device tensor to the host (after a run wrote it).</summary>
    public void Download()
    {
        if (_device is not null) _memory!.CopyToHost(_device, Host);
    }

    public void Dispose()
    {
        _device?.Dispose();
        Host.Dispose();
    }
}
