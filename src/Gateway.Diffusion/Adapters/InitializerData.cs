using System.Buffers.Binary;
using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Adapters;

/// <summary>Reads an ONNX initializer's values (float32 or float16 raw data, inline or external) as float32.</summary>
internal static class InitializerData
{
    public static float[] Read(OnnxInitializer initializer, string displayName)
    {
        var count = initializer.Dims.Aggregate(1L, (p, d) => p * d);
        var size = initializer.DataType == OnnxInitializer.Float ? 4 : 2;
        if (initializer.Data is not { } data)
            throw new ModelLoadException($"{displayName}: initializer '{initializer.Name}' keeps its values outside raw_data, which LoRA merging does not read.");
        var length = data.Length < 0 ? count * size : data.Length;
        if (length != count * size || count > int.MaxValue / 4)
            throw new ModelLoadException($"{displayName}: initializer '{initializer.Name}' holds {length} bytes for {count} values.");
        var bytes = new byte[length];
        try
        {
            using var stream = new FileStream(data.File, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            if (data.Offset < 0 || data.Offset + length > stream.Length)
                throw new ModelLoadException($"{displayName}: initializer '{initializer.Name}' lies outside {Path.GetFileName(data.File)}.");
            stream.Position = data.Offset;
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"{displayName}: cannot read initializer '{initializer.Name}': {e.Message}", e);
        }
        var values = new float[count];
        if (size == 4)
            for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        else
            for (var i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i));
        return values;
    }
}
