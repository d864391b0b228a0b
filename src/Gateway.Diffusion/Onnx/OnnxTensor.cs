using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// A tensor in ONNX Runtime's memory, allocated once and reused across calls. The engine computes in float32;
/// this is where values cross to and from the model's own element type (float16 exports, integer timesteps).
/// </summary>
internal sealed class OnnxTensor : IDisposable
{
    private OnnxTensor(OrtValue value, TensorElementType elementType, long[] shape)
    {
        Value = value;
        ElementType = elementType;
        Shape = shape;
        Length = checked((int)shape.Aggregate(1L, (a, b) => a * b));
    }

    public OrtValue Value { get; }
    public TensorElementType ElementType { get; }
    public long[] Shape { get; }
    public int Length { get; }

    public static OnnxTensor Allocate(TensorElementType elementType, params long[] shape) =>
        new(OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, elementType, shape), elementType, shape);

    /// <summary>Copies <paramref name="values"/> into the tensor starting at element <paramref name="offset"/>.</summary>
    public void Write(ReadOnlySpan<float> values, int offset = 0)
    {
        switch (ElementType)
        {
            case TensorElementType.Float:
                values.CopyTo(Value.GetTensorMutableDataAsSpan<float>()[offset..]);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToHalf(values, AsHalf(Value.GetTensorMutableDataAsSpan<Float16>())[offset..]);
                break;
            default:
                throw new InvalidOperationException($"Cannot write float values into a {ElementType} tensor.");
        }
    }

    /// <summary>Copies the tensor's elements from <paramref name="offset"/> into <paramref name="destination"/> as float32.</summary>
    public void Read(Span<float> destination, int offset = 0) => ReadFloats(Value, ElementType, destination, offset);

    /// <summary>Copies elements of any float32 or float16 tensor (e.g. one ONNX Runtime allocated) into float32.</summary>
    public static void ReadFloats(OrtValue value, Span<float> destination, int offset = 0) =>
        ReadFloats(value, value.GetTensorTypeAndShape().ElementDataType, destination, offset);

    private static void ReadFloats(OrtValue value, TensorElementType elementType, Span<float> destination, int offset)
    {
        switch (elementType)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().Slice(offset, destination.Length).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(AsHalf(value.GetTensorDataAsSpan<Float16>()).Slice(offset, destination.Length), destination);
                break;
            default:
                throw new InvalidOperationException($"Cannot read float values from a {elementType} tensor.");
        }
    }

    /// <summary>Sets every element to <paramref name="value"/>, rounding to the nearest integer for integer tensors.</summary>
    public void Fill(double value)
    {
        switch (ElementType)
        {
            case TensorElementType.Float: Value.GetTensorMutableDataAsSpan<float>().Fill((float)value); break;
            case TensorElementType.Float16: AsHalf(Value.GetTensorMutableDataAsSpan<Float16>()).Fill((Half)value); break;
            case TensorElementType.Double: Value.GetTensorMutableDataAsSpan<double>().Fill(value); break;
            case TensorElementType.Int64: Value.GetTensorMutableDataAsSpan<long>().Fill((long)Math.Round(value)); break;
            case TensorElementType.Int32: Value.GetTensorMutableDataAsSpan<int>().Fill((int)Math.Round(value)); break;
            default: throw new InvalidOperationException($"Cannot fill a {ElementType} tensor with a number.");
        }
    }

    /// <summary>Writes token ids into an int32 or int64 tensor.</summary>
    public void WriteIds(ReadOnlySpan<int> ids)
    {
        switch (ElementType)
        {
            case TensorElementType.Int32:
                ids.CopyTo(Value.GetTensorMutableDataAsSpan<int>());
                break;
            case TensorElementType.Int64:
                var destination = Value.GetTensorMutableDataAsSpan<long>();
                for (var i = 0; i < ids.Length; i++) destination[i] = ids[i];
                break;
            default:
                throw new InvalidOperationException($"Cannot write token ids into a {ElementType} tensor.");
        }
    }

    // ONNX Runtime's Float16 and .NET's Half are both one IEEE binary16 in a ushort.
    private static Span<Half> AsHalf(Span<Float16> span) => MemoryMarshal.Cast<Float16, Half>(span);

    private static ReadOnlySpan<Half> AsHalf(ReadOnlySpan<Float16> span) => MemoryMarshal.Cast<Float16, Half>(span);

    public void Dispose() => Value.Dispose();
}
