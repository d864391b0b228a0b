using System.Buffers.Binary;
using System.Text.Json;
using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Adapters;

/// <summary>One tensor of a safetensors file: its element type, shape and where its bytes lie in the data section.</summary>
internal sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);
}

/// <summary>
/// A safetensors file (8-byte little-endian header length, a JSON header of <c>{name: {dtype, shape, data_offsets}}</c>,
/// then the raw little-endian data), read whole and checked against its header before any tensor is decoded: a corrupt
/// or hostile file is a <see cref="ModelLoadException"/> naming the file, never an out-of-range read.
/// </summary>
internal sealed class SafetensorsFile
{
    /// <summary>Larger headers are refused (the reference implementation's limit).</summary>
    private const long MaxHeaderBytes = 100_000_000;

    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _entries;

    private SafetensorsFile(string displayName, byte[] bytes, long dataStart, Dictionary<string, SafetensorsEntry> entries)
    {
        DisplayName = displayName;
        _bytes = bytes;
        _dataStart = dataStart;
        _entries = entries;
    }

    public string DisplayName { get; }

    public IReadOnlyCollection<SafetensorsEntry> Entries => _entries.Values;

    public bool TryGet(string name, out SafetensorsEntry entry) => _entries.TryGetValue(name, out entry!);

    public static SafetensorsFile Load(string path, string displayName)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"{displayName}: cannot read it: {e.Message}", e);
        }
        return Parse(bytes, displayName);
    }

    public static SafetensorsFile Parse(byte[] bytes, string displayName)
    {
        ModelLoadException Bad(string why) => new($"{displayName}: not a valid safetensors file: {why}.");
        if (bytes.Length < 8) throw Bad("shorter than its 8-byte header length");
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > bytes.Length - 8)
            throw Bad($"header length {headerLength} does not fit the file's {bytes.Length} bytes");
        var dataStart = 8 + headerLength;
        var dataLength = bytes.Length - dataStart;

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        try
        {
            using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            if (header.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the header is not a JSON object");
            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                var entry = ReadEntry(property, Bad);
                if (entry.Begin < 0 || entry.End < entry.Begin || entry.End > dataLength)
                    throw Bad($"tensor '{entry.Name}' lies at bytes {entry.Begin}..{entry.End}, outside the {dataLength}-byte data section");
                if (entry.ElementCount * ElementSize(entry.DType) != entry.End - entry.Begin)
                    throw Bad($"tensor '{entry.Name}' is {entry.DType} [{string.Join(", ", entry.Shape)}] but holds {entry.End - entry.Begin} bytes");
                if (!entries.TryAdd(entry.Name, entry)) throw Bad($"tensor '{entry.Name}' is listed twice");
            }
        }
        catch (JsonException e)
        {
            throw Bad($"the header is not JSON ({e.Message})");
        }
        return new SafetensorsFile(displayName, bytes, dataStart, entries);
    }

    /// <summary>The tensor's values as float32 (from F32, F16 or BF16).</summary>
    public float[] ReadFloats(SafetensorsEntry entry)
    {
        var data = _bytes.AsSpan((int)(_dataStart + entry.Begin), (int)(entry.End - entry.Begin));
        var values = new float[entry.ElementCount];
        switch (entry.DType)
        {
            case "F32":
                for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                break;
            case "F16":
                for (var i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                break;
            case "BF16":
                for (var i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]) << 16);
                break;
            default:
                throw new ModelLoadException($"{DisplayName}: tensor '{entry.Name}' is {entry.DType}; LoRA weights must be F32, F16 or BF16.");
        }
        return values;
    }

    private static SafetensorsEntry ReadEntry(JsonProperty property, Func<string, ModelLoadException> bad)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw bad($"tensor '{property.Name}' lacks dtype, shape or data_offsets");
        var dims = new long[shape.GetArrayLength()];
        var i = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0 || d > int.MaxValue)
                throw bad($"tensor '{property.Name}' has a dimension that is not a size");
            dims[i++] = d;
        }
        if (dims.Aggregate(1.0, (p, d) => p * d) > int.MaxValue)
            throw bad($"tensor '{property.Name}' has more than {int.MaxValue} elements");
        long Offset(int index) => offsets[index].ValueKind == JsonValueKind.Number && offsets[index].TryGetInt64(out var o)
            ? o : throw bad($"tensor '{property.Name}' has an offset that is not an integer");
        var name = dtype.GetString()!;
        if (ElementSize(name) == 0) throw bad($"tensor '{property.Name}' has an unknown dtype '{name}'");
        return new SafetensorsEntry(property.Name, name, dims, Offset(0), Offset(1));
    }

    private static long ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0,
    };
}
