using System.Buffers.Binary;
using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Imaging;

public sealed class PngTextChunkTests
{
    private static byte[] SmallPng()
    {
        var image = new PixelImage(5, 3);
        new Random(7).NextBytes(image.Rgba);
        for (var i = 3; i < image.Rgba.Length; i += 4) image.Rgba[i] = 255;
        return PngEncoder.Encode(image);
    }

    private static List<string> ChunkTypes(byte[] png)
    {
        var types = new List<string>();
        for (var at = 8; at < png.Length; at += 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at)))
            types.Add(System.Text.Encoding.ASCII.GetString(png, at + 4, 4));
        return types;
    }

    [Fact]
    public void A_latin1_text_is_a_tEXt_chunk_right_after_IHDR_with_a_correct_crc_and_the_pixels_unchanged()
    {
        var png = SmallPng();
        var text = "a lighthouse, café\nNegative prompt: fog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512, Model: tiny-sd";

        var tagged = PngTextChunk.Insert(png, "parameters", text);

        Assert.Equal(["IHDR", "tEXt", "IDAT", "IEND"], ChunkTypes(tagged));
        Assert.Equal(text, PngText.Read(tagged)["parameters"]);
        Assert.Equal(png.Length + 12 + "parameters".Length + 1 + text.Length, tagged.Length);
        var original = ImageCodec.Decode(png, new ImageDecodeLimits());
        var decoded = ImageCodec.Decode(tagged, new ImageDecodeLimits());
        Assert.Equal(original.Rgba, decoded.Rgba);
    }

    [Fact]
    public void Text_beyond_latin1_is_an_uncompressed_utf8_iTXt_chunk_as_PIL_writes_it()
    {
        var text = "灯台 at dusk 🌅\nSteps: 4";

        var tagged = PngTextChunk.Insert(SmallPng(), "parameters", text);

        Assert.Equal(["IHDR", "iTXt", "IDAT", "IEND"], ChunkTypes(tagged));
        Assert.Equal(text, PngText.Read(tagged)["parameters"]);
        Assert.Equal(5, ImageCodec.Decode(tagged, new ImageDecodeLimits()).Width);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" parameters")]
    [InlineData("two  spaces")]
    [InlineData("tab\tkey")]
    public void A_keyword_png_does_not_allow_is_refused(string keyword) =>
        Assert.Throws<ArgumentException>(() => PngTextChunk.Insert(SmallPng(), keyword, "x"));

    [Fact]
    public void Data_that_is_not_a_png_is_refused() =>
        Assert.Throws<ArgumentException>(() => PngTextChunk.Insert(new byte[64], "parameters", "x"));
}
