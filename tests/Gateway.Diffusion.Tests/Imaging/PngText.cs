using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Gateway.Diffusion.Tests.Imaging;

/// <summary>Test helper (linked into Gateway.Tests too): reads a PNG's tEXt and uncompressed iTXt entries, checking every chunk's CRC on the way (as libpng does).</summary>
public static class PngText
{
    public static Dictionary<string, string> Read(byte[] png)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var entries = new Dictionary<string, string>();
        var latin1 = Encoding.Latin1;
        for (var at = 8; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)), Crc32.HashToUInt32(png.AsSpan(at + 4, 4 + length)));
            var zero = data.IndexOf((byte)0);
            if (type == "tEXt") entries[latin1.GetString(data[..zero])] = latin1.GetString(data[(zero + 1)..]);
            if (type == "iTXt")
            {
                Assert.Equal(0, data[zero + 1]); // not compressed
                var rest = data[(zero + 3)..];
                rest = rest[(rest.IndexOf((byte)0) + 1)..];
                rest = rest[(rest.IndexOf((byte)0) + 1)..];
                entries[latin1.GetString(data[..zero])] = Encoding.UTF8.GetString(rest);
            }
            at += 12 + length;
            if (type == "IEND") Assert.Equal(png.Length, at);
        }
        return entries;
    }
}
