using System.Runtime.InteropServices;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Tests.Support;

/// <summary>
/// Stands in for a device's memory on the CPU: every device tensor is a buffer of its own, apart from the host tensor
/// it mirrors, that the CPU provider reads and writes in place. A new buffer is filled with NaNs, so a value the engine
/// forgot to send shows in the image. It counts what crosses, by buffer.
/// </summary>
internal sealed unsafe class SeparateDeviceMemory : IDeviceMemory
{
    private readonly Dictionary<IntPtr, int> _uploads = [];
    private readonly object _lock = new();

    public int Allocated { get; private set; }
    public int Freed { get; private set; }
    public int Downloads { get; private set; }
    public int Syncs { get; private set; }

    /// <summary>Copies to the device of the tensor at <paramref name="address"/> so far.</summary>
    public int UploadsTo(IntPtr address)
    {
        lock (_lock) return _uploads.GetValueOrDefault(address);
    }

    public int TotalUploads
    {
        get { lock (_lock) return _uploads.Values.Sum(); }
    }

    public DeviceTensor Allocate(TensorElementType elementType, long[] shape)
    {
        var length = Math.Max(1, shape.Aggregate(1L, (a, b) => a * b));
        var size = elementType switch
        {
            TensorElementType.Float or TensorElementType.Int32 => 4,
            TensorElementType.Float16 => 2,
            _ => 8,
        };
        var bytes = length * size;
        var address = (IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        new Span<byte>((void*)address, checked((int)bytes)).Fill(0xFF); // NaN in every float type, -1 in integers
        lock (_lock) Allocated++;
        return new DeviceTensor(this, OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, elementType, shape, address, bytes), address, bytes);
    }

    public void CopyToDevice(OnnxTensor source, DeviceTensor destination)
    {
        var host = source.Value.GetTensorMutableRawData();
        Assert.Equal(destination.Bytes, host.Length);
        host.CopyTo(new Span<byte>((void*)destination.Address, host.Length));
        lock (_lock) _uploads[destination.Address] = _uploads.GetValueOrDefault(destination.Address) + 1;
    }

    public void CopyToHost(DeviceTensor source, OnnxTensor destination)
    {
        var host = destination.Value.GetTensorMutableRawData();
        Assert.Equal(source.Bytes, host.Length);
        new Span<byte>((void*)source.Address, host.Length).CopyTo(host);
        lock (_lock) Downloads++;
    }

    public void CompleteCopies()
    {
        lock (_lock) Syncs++;
    }

    public void Free(IntPtr address)
    {
        NativeMemory.AlignedFree((void*)address);
        lock (_lock) Freed++;
    }
}
