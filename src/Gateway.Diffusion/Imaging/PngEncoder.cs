using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Gateway.Diffusion.Imaging;

/// <summary>
/// A fast PNG writer for opaque 8-bit RGB, so encoding never dominates a fast model. Rows are "Up"-filtered
/// (vectorised) and deflated with zlib's run-length strategy: Huffman codes plus runs of one repeated byte. On
/// diffusion output, whose filtered rows hold few long matches, that is about twice as fast as zlib's fastest level
/// and smaller too (measured: 430 KiB instead of 732 KiB for a 512² picture; 4 KiB for a flat one).
/// Horizontal strips are deflated in parallel and joined into one zlib stream, as pigz does: every strip but the
/// last ends with a sync flush (byte-aligned, not final), so the concatenation is one valid deflate stream; the
/// Adler-32 checksums of the strips are combined.
/// </summary>
public static class PngEncoder
{
    private const int MinRowsPerStrip = 64;
    private static readonly ZLibCompressionOptions Compression = new()
    {
        CompressionLevel = 6,
        CompressionStrategy = ZLibCompressionStrategy.RunLengthEncoding,
    };

    // CMF 0x78: deflate, 32 KiB window; FLG 0x9C: the default-level hint, with the check value ((CMF·256 + FLG) % 31 == 0).
    private static ReadOnlySpan<byte> ZlibHeader => [0x78, 0x9C];

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(PixelImage image)
    {
        var (width, height) = (image.Width, image.Height);
        var rowBytes = 1 + 3 * width;
        var strips = Math.Clamp(height / MinRowsPerStrip, 1, Environment.ProcessorCount);
        var parts = new (byte[] Deflated, int Length, uint Adler, int RawLength)[strips];
        Parallel.For(0, strips, new ParallelOptions { MaxDegreeOfParallelism = strips }, s =>
        {
            var first = (int)((long)height * s / strips);
            var last = (int)((long)height * (s + 1) / strips);
            var filtered = ArrayPool<byte>.Shared.Rent((last - first) * rowBytes);
            try
            {
                FilterRows(image, first, last, rowBytes, filtered);
                parts[s] = Deflate(filtered.AsSpan(0, (last - first) * rowBytes), final: s == strips - 1);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(filtered);
            }
        });

        // Written straight into a buffer of the exact size: signature, IHDR, one IDAT a strip, IEND.
        var png = new byte[Signature.Length + (12 + 13) + ZlibHeader.Length + parts.Sum(p => 12 + p.Length) + 4 + 12];
        var at = 0;
        Put(png, ref at, Signature);
        var chunk = BeginChunk(png, ref at, "IHDR"u8);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(at), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(at + 4), height);
        png[at + 8] = 8;  // bits per channel
        png[at + 9] = 2;  // colour type: RGB
        // Bytes 10 to 12 stay 0: deflate, adaptive filtering, no interlace.
        at += 13;
        EndChunk(png, ref at, chunk);

        var adler = 1u;
        for (var s = 0; s < strips; s++)
        {
            var part = parts[s];
            chunk = BeginChunk(png, ref at, "IDAT"u8);
            if (s == 0) Put(png, ref at, ZlibHeader);
            Put(png, ref at, part.Deflated.AsSpan(0, part.Length));
            adler = CombineAdler32(adler, part.Adler, part.RawLength);
            if (s == strips - 1)
            {
                BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(at), adler);
                at += 4;
            }
            EndChunk(png, ref at, chunk);
            ArrayPool<byte>.Shared.Return(part.Deflated);
        }
        EndChunk(png, ref at, BeginChunk(png, ref at, "IEND"u8));
        return png;
    }

    /// <summary>Rows [first, last) as PNG scanlines into <paramref name="filtered"/>: filter byte 2 ("Up": each byte
    /// minus the one above), RGB.</summary>
    private static void FilterRows(PixelImage image, int first, int last, int rowBytes, byte[] filtered)
    {
        var width = image.Width;
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
    }

    private static void ToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int i = 0, j = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // Four pixels at a time: keep bytes 0-2, 4-6, 8-10, 12-14; the store's last 4 bytes are overwritten next.
            var keepRgb = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0);
            for (; j + 16 <= rgb.Length; i += 16, j += 12)
                Vector128.Shuffle(Vector128.Create(rgba[i..]), keepRgb).CopyTo(rgb[j..]);
        }

        for (; j < rgb.Length; i += 4, j += 3)
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

    /// <summary>Deflates one strip into a pooled buffer, which the caller returns.</summary>
    private static (byte[] Deflated, int Length, uint Adler, int RawLength) Deflate(ReadOnlySpan<byte> raw, bool final)
    {
        // Room for incompressible input (zlib's bound adds well under 1/1024), so the fixed-size stream never fills.
        var pooled = ArrayPool<byte>.Shared.Rent(raw.Length + raw.Length / 1024 + 64);
        using var buffer = new MemoryStream(pooled, 0, pooled.Length, writable: true, publiclyVisible: true);
        buffer.SetLength(0);
        var deflate = new DeflateStream(buffer, Compression, leaveOpen: true);
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
        return (pooled, length, Adler32(raw), raw.Length);
    }

    private static void Put(byte[] png, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(png.AsSpan(at));
        at += bytes.Length;
    }

    /// <summary>Starts a chunk at <paramref name="at"/>: room for the length, then the type. Returns the chunk's start.</summary>
    private static int BeginChunk(byte[] png, ref int at, ReadOnlySpan<byte> type)
    {
        var start = at;
        at += 4;
        Put(png, ref at, type);
        return start;
    }

    /// <summary>Fills in the length of the chunk begun at <paramref name="start"/> and appends its CRC (of type and data).</summary>
    private static void EndChunk(byte[] png, ref int at, int start)
    {
        var length = at - start - 8;
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(start), length);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(at), Crc32.HashToUInt32(png.AsSpan(start + 4, 4 + length)));
        at += 4;
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
