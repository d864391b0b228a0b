using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Adapters;

/// <summary>Where an initializer's bytes are: in the model file itself or in an external data file.</summary>
internal sealed record InitializerLocation(string File, long Offset, long Length);

/// <summary>An ONNX initializer: name, ONNX element type (1 float, 10 float16), dims, and where its raw data lies.</summary>
internal sealed record OnnxInitializer(string Name, int DataType, long[] Dims, InitializerLocation? Data)
{
    public const int Float = 1, Float16 = 10;
}

/// <summary>An ONNX node as far as weight lookup needs it.</summary>
internal sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, long TransB);

/// <summary>
/// The nodes and initializers of an ONNX model file, read with <see cref="ProtoReader"/> (onnx.proto: ModelProto.graph = 7;
/// GraphProto.node = 1, initializer = 5; NodeProto input = 1, name = 3, op_type = 4, attribute = 5; TensorProto dims = 1,
/// data_type = 2, name = 8, raw_data = 9, external_data = 13, data_location = 14). Weights are not read here.
/// </summary>
internal sealed class OnnxGraphIndex
{
    private OnnxGraphIndex(IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxInitializer> initializers)
    {
        Nodes = nodes;
        Initializers = initializers;
    }

    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyDictionary<string, OnnxInitializer> Initializers { get; }

    public static OnnxGraphIndex Read(string path, string displayName)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var reader = new ProtoReader(stream, displayName);
            var nodes = new List<OnnxNode>();
            var initializers = new Dictionary<string, OnnxInitializer>(StringComparer.Ordinal);
            var end = stream.Length;
            while (reader.NextField(end) is var (field, wire))
            {
                if (field == 7 && wire == ProtoReader.LengthDelimited) ReadGraph(reader, reader.ReadLengthEnd(end), path, nodes, initializers);
                else reader.Skip(wire, end);
            }
            return new OnnxGraphIndex(nodes, initializers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ModelLoadException(e is InvalidDataException ? e.Message : $"{displayName}: cannot read it: {e.Message}", e);
        }
    }

    private static void ReadGraph(ProtoReader reader, long end, string path, List<OnnxNode> nodes, Dictionary<string, OnnxInitializer> initializers)
    {
        while (reader.NextField(end) is var (field, wire))
        {
            if (wire != ProtoReader.LengthDelimited || field is not (1 or 5))
            {
                reader.Skip(wire, end);
                continue;
            }
            var messageEnd = reader.ReadLengthEnd(end);
            if (field == 1) nodes.Add(ReadNode(reader, messageEnd));
            else if (ReadTensor(reader, messageEnd, path) is { } tensor) initializers[tensor.Name] = tensor;
            reader.Seek(messageEnd, end);
        }
    }

    private static OnnxNode ReadNode(ProtoReader reader, long end)
    {
        var inputs = new List<string>();
        string name = "", opType = "";
        long transB = 0;
        while (reader.NextField(end) is var (field, wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.LengthDelimited: inputs.Add(reader.ReadString(end)); break;
                case 3 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(end); break;
                case 4 when wire == ProtoReader.LengthDelimited: opType = reader.ReadString(end); break;
                case 5 when wire == ProtoReader.LengthDelimited:
                    var attributeEnd = reader.ReadLengthEnd(end);
                    if (ReadIntAttribute(reader, attributeEnd) is ("transB", var value)) transB = value;
                    reader.Seek(attributeEnd, end);
                    break;
                default: reader.Skip(wire, end); break;
            }
        }
        return new OnnxNode(name, opType, inputs, transB);
    }

    /// <summary>AttributeProto name = 1, i = 3.</summary>
    private static (string Name, long Value) ReadIntAttribute(ProtoReader reader, long end)
    {
        string name = "";
        long value = 0;
        while (reader.NextField(end) is var (field, wire))
        {
            if (field == 1 && wire == ProtoReader.LengthDelimited) name = reader.ReadString(end);
            else if (field == 3 && wire == ProtoReader.Varint) value = (long)reader.ReadVarint();
            else reader.Skip(wire, end);
        }
        return (name, value);
    }

    private static OnnxInitializer? ReadTensor(ProtoReader reader, long end, string path)
    {
        var dims = new List<long>();
        string name = "";
        var dataType = 0;
        InitializerLocation? raw = null;
        var external = new Dictionary<string, string>(StringComparer.Ordinal);
        var isExternal = false;
        while (reader.NextField(end) is var (field, wire))
        {
            switch (field)
            {
                case 1 when wire == ProtoReader.Varint: dims.Add((long)reader.ReadVarint()); break;
                case 1 when wire == ProtoReader.LengthDelimited:
                    var packedEnd = reader.ReadLengthEnd(end);
                    while (reader.Position < packedEnd) dims.Add((long)reader.ReadVarint());
                    break;
                case 2 when wire == ProtoReader.Varint: dataType = (int)reader.ReadVarint(); break;
                case 8 when wire == ProtoReader.LengthDelimited: name = reader.ReadString(end); break;
                case 9 when wire == ProtoReader.LengthDelimited:
                    var rawEnd = reader.ReadLengthEnd(end);
                    raw = new InitializerLocation(path, reader.Position, rawEnd - reader.Position);
                    reader.Seek(rawEnd, end);
                    break;
                case 13 when wire == ProtoReader.LengthDelimited:
                    var entryEnd = reader.ReadLengthEnd(end);
                    string key = "", value = "";
                    while (reader.NextField(entryEnd) is var (f, w))
                    {
                        if (f == 1 && w == ProtoReader.LengthDelimited) key = reader.ReadString(entryEnd);
                        else if (f == 2 && w == ProtoReader.LengthDelimited) value = reader.ReadString(entryEnd);
                        else reader.Skip(w, entryEnd);
                    }
                    external[key] = value;
                    break;
                case 14 when wire == ProtoReader.Varint: isExternal = reader.ReadVarint() == 1; break;
                default: reader.Skip(wire, end); break;
            }
        }
        if (isExternal && external.TryGetValue("location", out var location))
        {
            var file = Path.Combine(Path.GetDirectoryName(path)!, location);
            var offset = external.TryGetValue("offset", out var o) && long.TryParse(o, out var parsedOffset) ? parsedOffset : 0;
            var length = external.TryGetValue("length", out var l) && long.TryParse(l, out var parsedLength) ? parsedLength : -1;
            raw = new InitializerLocation(file, offset, length);
        }
        return name.Length == 0 ? null : new OnnxInitializer(name, dataType, dims.ToArray(), raw);
    }
}
