namespace Gateway.Diffusion.Adapters;

/// <summary>
/// Protocol-buffer wire format over a seekable stream, for reading the few ONNX fields LoRA merging needs without
/// loading a multi-gigabyte model: length-delimited fields that are not needed (weights' raw data) are skipped by seeking.
/// </summary>
internal sealed class ProtoReader(Stream stream, string displayName)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    public long Position => stream.Position;

    public string DisplayName => displayName;

    /// <summary>The next field's number and wire type, or null at <paramref name="end"/>.</summary>
    public (int Field, int WireType)? NextField(long end)
    {
        if (stream.Position >= end) return null;
        var tag = ReadVarint();
        var field = (int)(tag >> 3);
        if (field <= 0) throw Corrupt($"field number 0 at byte {stream.Position}");
        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0) throw Corrupt("truncated varint");
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Corrupt("varint longer than 10 bytes");
    }

    /// <summary>Reads a length prefix and returns where that field ends, checked against the enclosing message's end.</summary>
    public long ReadLengthEnd(long end)
    {
        var length = ReadVarint();
        var fieldEnd = stream.Position + (long)Math.Min(length, long.MaxValue / 2);
        if (length > long.MaxValue / 2 || fieldEnd > end) throw Corrupt($"a field of {length} bytes runs past its message at byte {stream.Position}");
        return fieldEnd;
    }

    public string ReadString(long end)
    {
        var fieldEnd = ReadLengthEnd(end);
        var buffer = new byte[fieldEnd - stream.Position];
        stream.ReadExactly(buffer);
        return System.Text.Encoding.UTF8.GetString(buffer);
    }

    public void Skip(int wireType, long end)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Seek(stream.Position + 8, end); break;
            case Fixed32: Seek(stream.Position + 4, end); break;
            case LengthDelimited: Seek(ReadLengthEnd(end), end); break;
            default: throw Corrupt($"wire type {wireType} at byte {stream.Position}");
        }
    }

    public void Seek(long position, long end)
    {
        if (position > end) throw Corrupt($"a field runs past its message at byte {stream.Position}");
        stream.Position = position;
    }

    public InvalidDataException Corrupt(string why) => new($"{displayName}: not a valid ONNX protobuf: {why}.");
}
