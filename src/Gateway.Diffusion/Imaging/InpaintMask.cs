namespace Gateway.Diffusion.Imaging;

/// <summary>
/// Where an edit repaints, in OpenAI's convention: each pixel's alpha says how much of the original to keep, so a fully
/// transparent pixel (0) is repainted and an opaque one (255) is kept. The denoiser repaints every pixel under half
/// opacity (diffusers binarizes its mask at 0.5); <see cref="Overlay"/> then puts the original back by alpha.
/// </summary>
public sealed class InpaintMask
{
    private const byte Half = 128;

    /// <param name="keep">One alpha value a pixel, row-major.</param>
    public InpaintMask(int width, int height, byte[] keep)
    {
        if (keep.Length != checked(width * height))
            throw new ArgumentException($"A {width}x{height} mask needs {width * height} values, not {keep.Length}.", nameof(keep));
        (Width, Height, Keep) = (width, height, keep);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Alpha per pixel: 0 repaints, 255 keeps.</summary>
    public byte[] Keep { get; }

    /// <summary>The alpha channel of an image decoded with its alpha kept (<see cref="ImageCodec.Decode"/>).</summary>
    public static InpaintMask FromAlpha(PixelImage image)
    {
        var keep = new byte[image.Width * image.Height];
        for (var i = 0; i < keep.Length; i++) keep[i] = image.Rgba[4 * i + 3];
        return new InpaintMask(image.Width, image.Height, keep);
    }

    /// <summary>Whether any pixel is repainted.</summary>
    public bool RepaintsAny => Array.Exists(Keep, static a => a < Half);

    /// <summary>The mask at another size (Mitchell-filtered like the image it goes with).</summary>
    public InpaintMask Resize(int width, int height)
    {
        if (width == Width && height == Height) return this;
        var gray = new PixelImage(Width, Height);
        for (var i = 0; i < Keep.Length; i++)
        {
            var a = Keep[i];
            (gray.Rgba[4 * i], gray.Rgba[4 * i + 1], gray.Rgba[4 * i + 2], gray.Rgba[4 * i + 3]) = (a, a, a, 255);
        }
        var resized = ImageCodec.Resize(gray, width, height);
        var keep = new byte[width * height];
        for (var i = 0; i < keep.Length; i++) keep[i] = resized.Rgba[4 * i];
        return new InpaintMask(width, height, keep);
    }

    /// <summary>
    /// The mask on the latent grid (one value per 8×8 pixel block, row-major): 1 where the block has any repainted pixel,
    /// else 0. diffusers samples the nearest pixel instead; taking the whole block makes the denoised area cover every
    /// repainted pixel, so the overlay never shows an unpainted hole.
    /// </summary>
    public float[] LatentRepaint()
    {
        var (latentWidth, latentHeight) = (Width / 8, Height / 8);
        var grid = new float[latentWidth * latentHeight];
        for (var y = 0; y < latentHeight * 8; y++)
            for (var x = 0; x < latentWidth * 8; x++)
                if (Keep[y * Width + x] < Half)
                    grid[y / 8 * latentWidth + x / 8] = 1f;
        return grid;
    }

    /// <summary>diffusers' masked image: the VAE-ready planar pixels [3, h, w] with every repainted pixel set to 0
    /// (mid-gray), in place.</summary>
    public void ClearRepainted(Span<float> planar)
    {
        var plane = Width * Height;
        for (var i = 0; i < plane; i++)
        {
            if (Keep[i] >= Half) continue;
            for (var c = 0; c < 3; c++) planar[c * plane + i] = 0f;
        }
    }

    /// <summary>The original over the generated image by alpha: kept pixels come back as they were sent, repainted ones
    /// are the generated ones, partly transparent ones mix the two (A1111's inpainting overlay).</summary>
    public PixelImage Overlay(PixelImage generated, PixelImage original)
    {
        if (generated.Width != Width || generated.Height != Height || original.Width != Width || original.Height != Height)
            throw new ArgumentException($"The overlay needs {Width}x{Height} images.");
        var result = new PixelImage(Width, Height);
        for (var i = 0; i < Keep.Length; i++)
        {
            var a = Keep[i];
            for (var c = 0; c < 3; c++)
            {
                var o = 4 * i + c;
                result.Rgba[o] = (byte)((original.Rgba[o] * a + generated.Rgba[o] * (255 - a) + 127) / 255);
            }
            result.Rgba[4 * i + 3] = 255;
        }
        return result;
    }
}
