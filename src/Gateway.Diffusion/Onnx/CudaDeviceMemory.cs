using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// Device memory of one CUDA device through the CUDA runtime that ONNX Runtime's CUDA provider itself loads
/// (<c>libcudart.so.13</c>, a dependency of <c>libonnxruntime_providers_cuda.so</c>), so it is only created once a
/// session got the CUDA provider. Tensors are bound to sessions with a <c>Cuda</c> memory info of the device.
/// </summary>
internal sealed unsafe class CudaDeviceMemory : IDeviceMemory
{
    private const string Runtime = "libcudart.so.13";
    private const int HostToDevice = 1, DeviceToHost = 2;

    private readonly int _deviceId;
    private readonly OrtMemoryInfo _memoryInfo;

    public CudaDeviceMemory(int deviceId)
    {
        _deviceId = deviceId;
        _memoryInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
    }

    public DeviceTensor Allocate(TensorElementType elementType, long[] shape)
    {
        var bytes = Math.Max(1, shape.Aggregate(1L, (a, b) => a * b)) * ElementSize(elementType);
        UseDevice();
        void* address;
        Check(cudaMalloc(&address, (nuint)bytes), "cudaMalloc");
        try
        {
            var value = OrtValue.CreateTensorValueWithData(_memoryInfo, elementType, shape, (IntPtr)address, bytes);
            return new DeviceTensor(this, value, (IntPtr)address, bytes);
        }
        catch
        {
            cudaFree(address);
            throw;
        }
    }

    public void CopyToDevice(OnnxTensor source, DeviceTensor destination)
    {
        var host = source.Value.GetTensorMutableRawData();
        Require(host.Length, destination);
        UseDevice();
        fixed (byte* from = host) Check(cudaMemcpy((void*)destination.Address, from, (nuint)host.Length, HostToDevice), "cudaMemcpy to the device");
    }

    public void CopyToHost(DeviceTensor source, OnnxTensor destination)
    {
        var host = destination.Value.GetTensorMutableRawData();
        Require(host.Length, source);
        UseDevice();
        // From device to pageable host memory cudaMemcpy returns once the values are there.
        fixed (byte* to = host) Check(cudaMemcpy(to, (void*)source.Address, (nuint)host.Length, DeviceToHost), "cudaMemcpy to the host");
    }

    // A copy from pageable host memory may return before its DMA has finished, and ONNX Runtime's CUDA stream does
    // not wait for the legacy default stream.
    public void CompleteCopies()
    {
        UseDevice();
        Check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    public void Free(IntPtr address)
    {
        UseDevice();
        cudaFree((void*)address);
    }

    private void UseDevice() => Check(cudaSetDevice(_deviceId), "cudaSetDevice");

    private static void Require(long hostBytes, DeviceTensor device)
    {
        if (hostBytes != device.Bytes)
            throw new InvalidOperationException($"A host tensor of {hostBytes} bytes cannot be copied to or from a device tensor of {device.Bytes}.");
    }

    private static long ElementSize(TensorElementType elementType) => elementType switch
    {
        TensorElementType.Float or TensorElementType.Int32 => 4,
        TensorElementType.Float16 => 2,
        TensorElementType.Double or TensorElementType.Int64 => 8,
        _ => throw new NotSupportedException($"Device tensors of {elementType} are not used by any pipeline."),
    };

    private static void Check(int error, string call)
    {
        if (error != 0)
            throw new InvalidOperationException($"CUDA: {call} failed: {Marshal.PtrToStringAnsi((IntPtr)cudaGetErrorString(error))} ({error}).");
    }

    [DllImport(Runtime)] private static extern int cudaSetDevice(int device);
    [DllImport(Runtime)] private static extern int cudaMalloc(void** address, nuint bytes);
    [DllImport(Runtime)] private static extern int cudaFree(void* address);
    [DllImport(Runtime)] private static extern int cudaMemcpy(void* destination, void* source, nuint bytes, int kind);
    [DllImport(Runtime)] private static extern int cudaDeviceSynchronize();
    [DllImport(Runtime)] private static extern byte* cudaGetErrorString(int error);
}
