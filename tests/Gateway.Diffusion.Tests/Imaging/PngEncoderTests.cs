using System.IO.Compression;
using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Imaging;

public sealed class PngEncoderTests
{
    private static PixelImage Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new PixelImage(width, height);
        random.NextBytes(image.Rgba);
        for (var i = 3; i < image.Rgba.Length; i += 4) image.Rgba[i] = 255;
        return image;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(67, 129)]
    [InlineData(512, 512)]
    [InlineData(1024, 768)]
    public void Decodes_to_exactly_the_input(int width, int height)
    {
        var image = Noise(width, height, width * 31 + height);
        var png = PngEncoder.Encode(image);
        var decoded = ImageCodec.Decode(png, new ImageDecodeLimits());
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        Assert.Equal(image.Rgba, decoded.Rgba);
        // Nothing after the IEND chunk (length 0, type, its fixed CRC): decoders would forgive it, the file size not.
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);
    }

    [Fact]
    public void Flat_areas_shrink_to_runs()
    {
        // A red disc on white: after filtering almost every byte repeats the one before, which the run-length strategy
        // stores as matches at distance 1 (Huffman coding alone would need about 100 KiB).
        var image = new PixelImage(512, 512);
        for (var i = 0; i < 512 * 512; i++)
        {
            var (dx, dy) = (i % 512 - 256, i / 512 - 256);
            var disc = dx * dx + dy * dy < 150 * 150;
            (image.Rgba[4 * i], image.Rgba[4 * i + 1], image.Rgba[4 * i + 2], image.Rgba[4 * i + 3]) =
                disc ? ((byte)200, (byte)30, (byte)30, (byte)255) : ((byte)255, (byte)255, (byte)255, (byte)255);
        }
        var png = PngEncoder.Encode(image);
        Assert.True(png.Length < 16 * 1024, $"{png.Length} bytes");
        Assert.Equal(image.Rgba, ImageCodec.Decode(png, new ImageDecodeLimits()).Rgba);
    }

    [Fact]
    public void Smooth_images_compress()
    {
        var image = new PixelImage(512, 512);
        for (var i = 0; i < 512 * 512; i++)
            (image.Rgba[4 * i], image.Rgba[4 * i + 1], image.Rgba[4 * i + 2], image.Rgba[4 * i + 3]) = ((byte)(i % 512 / 2), (byte)(i / 512 / 2), 90, 255);
        Assert.True(PngEncoder.Encode(image).Length < 512 * 512 * 3 / 10);
    }

    [Fact]
    public void Adler32_matches_known_values_and_combines()
    {
        Assert.Equal(0x11E60398u, PngEncoder.Adler32("Wikipedia"u8));
        Assert.Equal(1u, PngEncoder.Adler32([]));
        var data = new byte[100_000];
        new Random(3).NextBytes(data);
        var whole = PngEncoder.Adler32(data);
        var combined = PngEncoder.CombineAdler32(PngEncoder.Adler32(data.AsSpan(0, 33_333)), PngEncoder.Adler32(data.AsSpan(33_333)), 100_000 - 33_333);
        Assert.Equal(whole, combined);
    }

    [Fact]
    public void The_joined_zlib_stream_inflates_with_a_valid_checksum()
    {
        var image = Noise(640, 400, 9);
        var png = PngEncoder.Encode(image);
        var idat = new MemoryStream();
        var idatChunks = 0;
        for (var offset = 8; offset < png.Length;)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            if (type == "IDAT")
            {
                idat.Write(png, offset + 8, length);
                idatChunks++;
            }
            offset += 12 + length;
        }
        Assert.Equal(Math.Min(Environment.ProcessorCount, 400 / 64), idatChunks);
        idat.Position = 0;
        using var inflate = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        inflate.CopyTo(raw); // throws on a bad Adler-32
        Assert.Equal(400 * (1 + 640 * 3), raw.Length);
    }
}
