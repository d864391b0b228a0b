using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Gateway.Diffusion.Tests.Adapters;

/// <summary>Writes small float32 safetensors files for tests (the format: 8-byte LE header length, JSON header, data).</summary>
internal static class SafetensorsBuilder
{
    public static byte[] Build(Dictionary<string, (long[] Shape, float[] Values)> tensors, string dtype = "F32")
    {
        var header = new Dictionary<string, object>();
        var data = new List<byte>();
        foreach (var (name, (shape, values)) in tensors)
        {
            var begin = data.Count;
            foreach (var v in values)
            {
                if (dtype == "F32")
                {
                    var b = new byte[4];
                    BinaryPrimitives.WriteSingleLittleEndian(b, v);
                    data.AddRange(b);
                }
                else if (dtype == "F16")
                {
                    var b = new byte[2];
                    BinaryPrimitives.WriteHalfLittleEndian(b, (Half)v);
                    data.AddRange(b);
                }
                else
                {
                    var bits = BitConverter.SingleToInt32Bits(v);
                    data.Add((byte)(bits >> 16));
                    data.Add((byte)(bits >> 24));
                }
            }
            header[name] = new { dtype, shape, data_offsets = new[] { begin, data.Count } };
        }
        return Raw(JsonSerializer.Serialize(header), data.ToArray());
    }

    public static byte[] Raw(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
