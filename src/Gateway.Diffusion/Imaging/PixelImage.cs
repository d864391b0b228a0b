namespace Gateway.Diffusion.Imaging;

/// <summary>An opaque 8-bit image, stored RGBA row-major (alpha 255) because that is what the codecs take directly.</summary>
public sealed record PixelImage(int Width, int Height, byte[] Rgba)
{
    public PixelImage(int width, int height) : this(width, height, new byte[checked(width * height * 4)]) { }
}
