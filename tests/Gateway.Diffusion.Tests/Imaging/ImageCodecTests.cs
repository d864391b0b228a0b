using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Imaging;

public sealed class ImageCodecTests
{
    private static readonly ImageDecodeLimits Limits = new();

    private static PixelImage Pattern(int width, int height)
    {
        var image = new PixelImage(width, height);
        for (var i = 0; i < width * height; i++)
        {
            image.Rgba[4 * i] = (byte)(i * 7);
            image.Rgba[4 * i + 1] = (byte)(i / width * 3);
            image.Rgba[4 * i + 2] = (byte)(i % width * 5);
            image.Rgba[4 * i + 3] = 255;
        }
        return image;
    }

    [Fact]
    public void Png_round_trips_exactly_and_has_the_png_signature()
    {
        var image = Pattern(40, 24);
        var bytes = ImageCodec.Encode(image, ImageFormat.Png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        var decoded = ImageCodec.Decode(bytes, Limits);
        Assert.Equal((40, 24), (decoded.Width, decoded.Height));
        Assert.Equal(image.Rgba, decoded.Rgba);
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg, new byte[] { 0xFF, 0xD8 })]
    [InlineData(ImageFormat.Webp, new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F' })]
    public void Lossy_formats_encode_and_decode_to_the_same_size(ImageFormat format, byte[] magic)
    {
        var bytes = ImageCodec.Encode(Pattern(64, 32), format, quality: 80);
        Assert.Equal(magic, bytes[..magic.Length]);
        var decoded = ImageCodec.Decode(bytes, Limits);
        Assert.Equal((64, 32), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Jpeg_quality_changes_the_size()
    {
        var image = Pattern(128, 128);
        Assert.True(ImageCodec.Encode(image, ImageFormat.Jpeg, 95).Length > ImageCodec.Encode(image, ImageFormat.Jpeg, 20).Length);
    }

    [Fact]
    public void Non_image_data_is_refused()
    {
        var error = Assert.Throws<InvalidImageException>(() => ImageCodec.Decode("hello, world"u8.ToArray(), Limits));
        Assert.Contains("PNG, JPEG or WebP", error.Message);
        Assert.Throws<InvalidImageException>(() => ImageCodec.Decode([], Limits));
    }

    [Fact]
    public void Truncated_image_is_refused()
    {
        var bytes = ImageCodec.Encode(Pattern(64, 64), ImageFormat.Png);
        Assert.Throws<InvalidImageException>(() => ImageCodec.Decode(bytes[..(bytes.Length / 2)], Limits));
    }

    [Fact]
    public void Images_over_the_pixel_limit_are_refused_before_decoding()
    {
        var bytes = ImageCodec.Encode(Pattern(100, 100), ImageFormat.Png);
        var error = Assert.Throws<InvalidImageException>(() => ImageCodec.Decode(bytes, new ImageDecodeLimits(MaxPixels: 5000)));
        Assert.Contains("100x100", error.Message);
        Assert.Throws<InvalidImageException>(() => ImageCodec.Decode(bytes, new ImageDecodeLimits(MaxSide: 64)));
    }

    [Fact]
    public void Other_formats_are_refused_by_name()
    {
        // A 1×1 GIF.
        var gif = Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");
        var error = Assert.Throws<InvalidImageException>(() => ImageCodec.Decode(gif, Limits));
        Assert.Contains("GIF", error.Message);
    }

    [Fact]
    public void Transparent_pixels_are_flattened_onto_white()
    {
        var image = Pattern(8, 8);
        for (var i = 3; i < image.Rgba.Length; i += 4) image.Rgba[i] = 0;
        var bytes = EncodeWithAlpha(image);
        var decoded = ImageCodec.Decode(bytes, Limits);
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(new byte[] { 255, 255, 255, 255 }, decoded.Rgba[(4 * i)..(4 * i + 4)]));
    }

    [Fact]
    public void Resize_gives_the_new_size_and_keeps_a_flat_colour()
    {
        var image = new PixelImage(30, 20);
        for (var i = 0; i < image.Rgba.Length; i += 4) (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]) = (10, 120, 250, 255);
        var resized = ImageCodec.Resize(image, 64, 48);
        Assert.Equal((64, 48), (resized.Width, resized.Height));
        for (var i = 0; i < resized.Rgba.Length; i += 4)
        {
            Assert.InRange(resized.Rgba[i], 9, 11);
            Assert.InRange(resized.Rgba[i + 1], 119, 121);
            Assert.InRange(resized.Rgba[i + 2], 249, 251);
        }
    }

    private static byte[] EncodeWithAlpha(PixelImage image)
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(image.Width, image.Height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(image.Rgba, 0, bitmap.GetPixels(), image.Rgba.Length);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
