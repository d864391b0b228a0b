using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// A tensor whose elements live in a managed array that ONNX Runtime reads and writes in place (the array is pinned
/// for the tensor's lifetime). Allocated once and reused across calls, it is where values cross between the engine's
/// float32 and the model's own element type (float16 exports, integer timesteps) without any per-call allocation.
/// </summary>
internal sealed class OnnxTensor : IDisposable
{
    private readonly float[]? _floats;
    private readonly Float16[]? _halves;
    private readonly double[]? _doubles;
    private readonly long[]? _longs;
    private readonly int[]? _ints;
    private float[]? _converted;

    private OnnxTensor(TensorElementType elementType, long[] shape, int length, float[]? floats = null, Float16[]? halves = null,
        double[]? doubles = null, long[]? longs = null, int[]? ints = null)
    {
        ElementType = elementType;
        Shape = shape;
        Length = length;
        (_floats, _halves, _doubles, _longs, _ints) = (floats, halves, doubles, longs, ints);
        Value = elementType switch
        {
            TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(floats!, shape),
            TensorElementType.Float16 => OrtValue.CreateTensorValueFromMemory(halves!, shape),
            TensorElementType.Double => OrtValue.CreateTensorValueFromMemory(doubles!, shape),
            TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(longs!, shape),
            _ => OrtValue.CreateTensorValueFromMemory(ints!, shape),
        };
    }

    public OrtValue Value { get; }
    public TensorElementType ElementType { get; }
    public long[] Shape { get; }
    public int Length { get; }

    public static OnnxTensor Allocate(TensorElementType elementType, params long[] shape)
    {
        var length = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        return elementType switch
        {
            TensorElementType.Float => new(elementType, shape, length, floats: new float[length]),
            TensorElementType.Float16 => new(elementType, shape, length, halves: new Float16[length]),
            TensorElementType.Double => new(elementType, shape, length, doubles: new double[length]),
            TensorElementType.Int64 => new(elementType, shape, length, longs: new long[length]),
            TensorElementType.Int32 => new(elementType, shape, length, ints: new int[length]),
            _ => throw new NotSupportedException($"Tensors of {elementType} are not used by any pipeline."),
        };
    }

    /// <summary>Copies <paramref name="values"/> into the tensor starting at element <paramref name="offset"/>.</summary>
    public void Write(ReadOnlySpan<float> values, int offset = 0)
    {
        if (_floats is not null) values.CopyTo(_floats.AsSpan(offset));
        else if (_halves is not null) TensorPrimitives.ConvertToHalf(values, AsHalf(_halves.AsSpan(offset)));
        else throw new InvalidOperationException($"Cannot write float values into a {ElementType} tensor.");
    }

    /// <summary>Copies the tensor's elements from <paramref name="offset"/> into <paramref name="destination"/> as float32.</summary>
    public void Read(Span<float> destination, int offset = 0)
    {
        if (_floats is not null) _floats.AsSpan(offset, destination.Length).CopyTo(destination);
        else if (_halves is not null) TensorPrimitives.ConvertToSingle(AsHalf(_halves.AsSpan(offset, destination.Length)), destination);
        else throw new InvalidOperationException($"Cannot read float values from a {ElementType} tensor.");
    }

    /// <summary>All elements as float32, valid until the tensor is next run or read this way: the tensor's own array
    /// when it holds float32 (no copy), else a converted copy kept for reuse.</summary>
    public ReadOnlySpan<float> AsFloats()
    {
        if (_floats is not null) return _floats;
        if (_halves is null) throw new InvalidOperationException($"Cannot read float values from a {ElementType} tensor.");
        _converted ??= new float[Length];
        TensorPrimitives.ConvertToSingle(AsHalf(_halves), _converted);
        return _converted;
    }

    /// <summary>Copies elements of any float32 or float16 tensor that ONNX Runtime allocated into float32.</summary>
    public static void ReadFloats(OrtValue value, Span<float> destination, int offset = 0)
    {
        var elementType = value.GetTensorTypeAndShape().ElementDataType;
        switch (elementType)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().Slice(offset, destination.Length).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(
                    MemoryMarshal.Cast<Float16, Half>(value.GetTensorDataAsSpan<Float16>()).Slice(offset, destination.Length), destination);
                break;
            default:
                throw new InvalidOperationException($"Cannot read float values from a {elementType} tensor.");
        }
    }

    /// <summary>Sets every element to <paramref name="value"/>, rounding to the nearest integer for integer tensors.</summary>
    public void Fill(double value)
    {
        if (_floats is not null) _floats.AsSpan().Fill((float)value);
        else if (_halves is not null) AsHalf(_halves).Fill((Half)value);
        else if (_doubles is not null) _doubles.AsSpan().Fill(value);
        else if (_longs is not null) _longs.AsSpan().Fill((long)Math.Round(value));
        else _ints!.AsSpan().Fill((int)Math.Round(value));
    }

    /// <summary>Writes token ids into an int32 or int64 tensor.</summary>
    public void WriteIds(ReadOnlySpan<int> ids)
    {
        if (_ints is not null) ids.CopyTo(_ints);
        else if (_longs is not null)
            for (var i = 0; i < ids.Length; i++) _longs[i] = ids[i];
        else throw new InvalidOperationException($"Cannot write token ids into a {ElementType} tensor.");
    }

    // ONNX Runtime's Float16 and .NET's Half are both one IEEE binary16 in a ushort.
    private static Span<Half> AsHalf(Span<Float16> span) => MemoryMarshal.Cast<Float16, Half>(span);

    public void Dispose() => Value.Dispose();
}
