using System.Net.Http.Headers;
using Gateway.Diffusion.Imaging;
using SkiaSharp;

namespace Gateway.Tests.OpenAi;

/// <summary>Images and masks for the edit tests, and multipart bodies as an SDK builds them.</summary>
public static class EditTestImages
{
    public const int Size = 64;

    /// <summary>An opaque gradient: every pixel different from its neighbours, so a changed pixel shows.</summary>
    public static byte[] GradientPng(int width = Size, int height = Size) => Png(width, height, (x, y) =>
        ((byte)(255 * x / width), (byte)(255 * y / height), (byte)(64 + 128 * ((x + y) % 2)), 255));

    /// <summary>The left half fully transparent (repaint), the right half opaque (keep).</summary>
    public static byte[] LeftHalfMaskPng(int width = Size, int height = Size) =>
        Png(width, height, (x, _) => (0, 0, 0, x < width / 2 ? (byte)0 : (byte)255));

    public static byte[] OpaquePng(int width = Size, int height = Size) => Png(width, height, (_, _) => (10, 20, 30, 255));

    public static PixelImage Decode(byte[] encoded) => ImageCodec.Decode(encoded, new ImageDecodeLimits());

    public static MultipartFormDataContent Form(params (string Name, object Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            if (value is byte[] bytes)
            {
                var file = new ByteArrayContent(bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                form.Add(file, name, name.TrimEnd('[', ']') + ".png");
            }
            else
            {
                form.Add(new StringContent((string)value), name);
            }
        }
        return form;
    }

    private static byte[] Png(int width, int height, Func<int, int, (byte R, byte G, byte B, byte A)> pixel)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var (r, g, b, a) = pixel(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b, a));
            }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
