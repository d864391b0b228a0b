using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// The memory of a session's execution device, for tensors that stay bound there from one run to the next (the
/// UNet's inputs and output), so that a step copies only what changed and CUDA graphs find their tensors at the
/// same addresses on every replay.
/// </summary>
internal interface IDeviceMemory
{
    /// <summary>A tensor of <paramref name="shape"/> in device memory; its contents are undefined until written.</summary>
    DeviceTensor Allocate(TensorElementType elementType, long[] shape);

    void CopyToDevice(OnnxTensor source, DeviceTensor destination);

    /// <summary>Copies a device tensor back; returns when the host holds the values.</summary>
    void CopyToHost(DeviceTensor source, OnnxTensor destination);

    /// <summary>Waits until the copies to the device issued so far have landed, so that a run reads them.</summary>
    void CompleteCopies();

    void Free(IntPtr address);
}

/// <summary>A tensor in device memory: its address, its size and the <see cref="OrtValue"/> that binds it.</summary>
internal sealed class DeviceTensor(IDeviceMemory memory, OrtValue value, IntPtr address, long bytes) : IDisposable
{
    private bool _disposed;

    public OrtValue Value { get; } = value;
    public IntPtr Address { get; } = address;
    public long Bytes { get; } = bytes;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Value.Dispose();
        memory.Free(Address);
    }
}
