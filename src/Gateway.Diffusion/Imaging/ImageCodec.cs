using System.Runtime.InteropServices;
using SkiaSharp;

namespace Gateway.Diffusion.Imaging;

/// <summary>Limits for decoding untrusted images.</summary>
public sealed record ImageDecodeLimits(long MaxPixels = 16L * 1024 * 1024, int MaxSide = 16384);

/// <summary>PNG, JPEG and WebP through SkiaSharp (ImageSharp is not in our package mirror).</summary>
public static class ImageCodec
{
    /// <summary>PNG through <see cref="PngEncoder"/> (parallel, fast); JPEG and WebP through SkiaSharp at <paramref name="quality"/>.</summary>
    public static byte[] Encode(PixelImage image, ImageFormat format, int quality = 90)
    {
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), quality, "Quality is 1..100.");
        if (format == ImageFormat.Png) return PngEncoder.Encode(image);
        using var pixmap = Wrap(image, out var handle);
        using (handle)
        {
            using var data = format == ImageFormat.Jpeg
                ? pixmap.Encode(new SKJpegEncoderOptions(quality))
                : pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, quality));
            return data?.ToArray() ?? throw new InvalidOperationException($"SkiaSharp could not encode a {image.Width}x{image.Height} {format}.");
        }
    }

    /// <summary>Decodes PNG, JPEG or WebP bytes, refusing anything else and anything over the limits before allocating pixels.</summary>
    /// <param name="flattenAlpha">Composite transparent pixels over white (what the pipeline wants); false keeps the alpha
    /// channel, for masks (<see cref="InpaintMask.FromAlpha"/>).</param>
    public static PixelImage Decode(ReadOnlySpan<byte> bytes, ImageDecodeLimits limits, bool flattenAlpha = true)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidImageException("The data is not a PNG, JPEG or WebP image.");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
            throw new InvalidImageException($"Images must be PNG, JPEG or WebP, not {codec.EncodedFormat.ToString().ToUpperInvariant()}.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
            throw new InvalidImageException("The image has no pixels.");
        if (width > limits.MaxSide || height > limits.MaxSide || (long)width * height > limits.MaxPixels)
            throw new InvalidImageException(
                $"The image is {width}x{height}; the limit is {limits.MaxPixels / 1_000_000.0:0.#} megapixels and {limits.MaxSide} pixels a side.");

        var image = new PixelImage(width, height);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var result = codec.GetPixels(info, image.Rgba);
        if (result != SKCodecResult.Success)
            throw new InvalidImageException(result == SKCodecResult.IncompleteInput
                ? "The image data is truncated."
                : $"The image could not be decoded ({result}).");
        if (flattenAlpha) FlattenAlpha(image.Rgba);
        return image;
    }

    /// <summary>Resizes with a Mitchell cubic filter, the usual choice for photographic content.</summary>
    public static PixelImage Resize(PixelImage image, int width, int height)
    {
        if (image.Width == width && image.Height == height) return image;
        var resized = new PixelImage(width, height);
        using var source = Wrap(image, out var sourceHandle);
        using var target = Wrap(resized, out var targetHandle);
        using (sourceHandle)
        using (targetHandle)
        {
            if (!source.ScalePixels(target, new SKSamplingOptions(SKCubicResampler.Mitchell)))
                throw new InvalidOperationException($"SkiaSharp could not resize {image.Width}x{image.Height} to {width}x{height}.");
        }
        return resized;
    }

    private static SKPixmap Wrap(PixelImage image, out PinnedBuffer handle)
    {
        if (image.Rgba.Length != image.Width * image.Height * 4)
            throw new ArgumentException($"A {image.Width}x{image.Height} image needs {image.Width * image.Height * 4} bytes, not {image.Rgba.Length}.");
        handle = new PinnedBuffer(image.Rgba);
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        return new SKPixmap(info, handle.Address, image.Width * 4);
    }

    /// <summary>Composites transparent pixels over white: the pipeline works on opaque RGB.</summary>
    private static void FlattenAlpha(byte[] rgba)
    {
        for (var i = 0; i < rgba.Length; i += 4)
        {
            var alpha = rgba[i + 3];
            if (alpha == 255) continue;
            for (var c = 0; c < 3; c++)
                rgba[i + c] = (byte)((rgba[i + c] * alpha + 255 * (255 - alpha) + 127) / 255);
            rgba[i + 3] = 255;
        }
    }

    private sealed class PinnedBuffer(byte[] buffer) : IDisposable
    {
        private GCHandle _handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);

        public nint Address => _handle.AddrOfPinnedObject();

        public void Dispose() => _handle.Free();
    }
}
