using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;

namespace Gateway.Diffusion.Imaging;

/// <summary>
/// A fast PNG writer for opaque 8-bit RGB, so encoding never dominates a fast model. Rows are "Up"-filtered
/// (vectorised), and horizontal strips are deflated in parallel at zlib's fastest level and joined into one zlib
/// stream, as pigz does: every strip but the last ends with a sync flush (byte-aligned, not final), so the
/// concatenation is one valid deflate stream; the Adler-32 checksums of the strips are combined.
/// </summary>
public static class PngEncoder
{
    private const int MinRowsPerStrip = 64;
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(PixelImage image, CompressionLevel level = CompressionLevel.Fastest)
    {
        var (width, height) = (image.Width, image.Height);
        var rowBytes = 1 + 3 * width;
        var strips = Math.Clamp(height / MinRowsPerStrip, 1, Environment.ProcessorCount);
        var parts = new (byte[] Deflated, int Length, uint Adler, int RawLength)[strips];
        Parallel.For(0, strips, new ParallelOptions { MaxDegreeOfParallelism = strips }, s =>
        {
            var first = (int)((long)height * s / strips);
            var last = (int)((long)height * (s + 1) / strips);
            var filtered = FilterRows(image, first, last, rowBytes);
            parts[s] = Deflate(filtered, level, final: s == strips - 1);
        });

        using var output = new MemoryStream(capacity: 64 + parts.Sum(p => p.Length) + 12 * strips);
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bits per channel
        header[9] = 2;  // colour type: RGB
        header[10] = header[11] = header[12] = 0;  // deflate, adaptive filtering, no interlace
        WriteChunk(output, "IHDR"u8, header);

        var adler = 1u;
        for (var s = 0; s < strips; s++)
        {
            var part = parts[s];
            var data = s == 0 ? Prepend(ZlibHeader(level), part.Deflated, part.Length) : part.Deflated.AsSpan(0, part.Length);
            adler = CombineAdler32(adler, part.Adler, part.RawLength);
            if (s == strips - 1)
            {
                var withChecksum = new byte[data.Length + 4];
                data.CopyTo(withChecksum);
                BinaryPrimitives.WriteUInt32BigEndian(withChecksum.AsSpan(data.Length), adler);
                WriteChunk(output, "IDAT"u8, withChecksum);
            }
            else
            {
                WriteChunk(output, "IDAT"u8, data);
            }
        }
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    /// <summary>Rows [first, last) as PNG scanlines: filter byte 2 ("Up": each byte minus the one above), RGB.</summary>
    private static byte[] FilterRows(PixelImage image, int first, int last, int rowBytes)
    {
        var width = image.Width;
        var filtered = new byte[(last - first) * rowBytes];
        var above = new byte[rowBytes - 1];
        var current = new byte[rowBytes - 1];
        if (first > 0) ToRgb(image.Rgba.AsSpan(4 * width * (first - 1), 4 * width), above);
        for (var y = first; y < last; y++)
        {
            ToRgb(image.Rgba.AsSpan(4 * width * y, 4 * width), current);
            var row = filtered.AsSpan((y - first) * rowBytes, rowBytes);
            row[0] = 2;
            Subtract(current, above, row[1..]);
            (above, current) = (current, above);
        }
        return filtered;
    }

    private static void ToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
    }

    private static void Subtract(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        var i = 0;
        for (; i <= left.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            (new Vector<byte>(left[i..]) - new Vector<byte>(right[i..])).CopyTo(destination[i..]);
        for (; i < left.Length; i++)
            destination[i] = (byte)(left[i] - right[i]);
    }

    private static (byte[] Deflated, int Length, uint Adler, int RawLength) Deflate(byte[] raw, CompressionLevel level, bool final)
    {
        var buffer = new MemoryStream(raw.Length / 2 + 64);
        var deflate = new DeflateStream(buffer, level, leaveOpen: true);
        deflate.Write(raw);
        int length;
        if (final)
        {
            deflate.Dispose();
            length = (int)buffer.Length;
        }
        else
        {
            // A sync flush ends the strip on a byte boundary without a final block; what Dispose adds after it
            // (the final block) is left out, so the next strip's blocks continue the same stream.
            deflate.Flush();
            length = (int)buffer.Length;
            deflate.Dispose();
        }
        return (buffer.GetBuffer(), length, Adler32(raw), raw.Length);
    }

    private static byte[] ZlibHeader(CompressionLevel level) =>
        // CMF 0x78: deflate, 32 KiB window; FLG: the level hint, with a check value making (CMF·256 + FLG) % 31 == 0.
        level == CompressionLevel.Fastest ? [0x78, 0x01] : [0x78, 0x9C];

    private static ReadOnlySpan<byte> Prepend(byte[] prefix, byte[] data, int length)
    {
        var joined = new byte[prefix.Length + length];
        prefix.CopyTo(joined, 0);
        data.AsSpan(0, length).CopyTo(joined.AsSpan(prefix.Length));
        return joined;
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        output.Write(word);
    }

    private const uint AdlerBase = 65521;

    internal static uint Adler32(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        while (data.Length > 0)
        {
            // 5552 is the most bytes before b can overflow 32 bits (zlib's NMAX).
            var block = data[..Math.Min(5552, data.Length)];
            foreach (var value in block)
            {
                a += value;
                b += a;
            }
            a %= AdlerBase;
            b %= AdlerBase;
            data = data[block.Length..];
        }
        return b << 16 | a;
    }

    /// <summary>zlib's adler32_combine: the checksum of A followed by B from the checksums of A and B.</summary>
    internal static uint CombineAdler32(uint adlerA, uint adlerB, long lengthB)
    {
        var remainder = (uint)(lengthB % AdlerBase);
        var sum1 = adlerA & 0xFFFF;
        var sum2 = remainder * sum1 % AdlerBase;
        sum1 += (adlerB & 0xFFFF) + AdlerBase - 1;
        sum2 += (adlerA >> 16) + (adlerB >> 16) + AdlerBase - remainder;
        if (sum1 >= AdlerBase) sum1 -= AdlerBase;
        if (sum1 >= AdlerBase) sum1 -= AdlerBase;
        if (sum2 >= AdlerBase << 1) sum2 -= AdlerBase << 1;
        if (sum2 >= AdlerBase) sum2 -= AdlerBase;
        return sum2 << 16 | sum1;
    }
}
