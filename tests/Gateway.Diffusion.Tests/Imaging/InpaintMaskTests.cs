using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Imaging;

public sealed class InpaintMaskTests
{
    [Fact]
    public void A_latent_cell_repaints_when_any_pixel_of_its_block_is_under_half_opacity()
    {
        var keep = Enumerable.Repeat((byte)255, 16 * 8).ToArray();
        keep[3 * 16 + 13] = 127;   // one pixel of the right-hand block
        keep[5 * 16 + 2] = 128;    // half opaque: kept
        var grid = new InpaintMask(16, 8, keep).LatentRepaint();
        Assert.Equal([0f, 1f], grid);
    }

    [Fact]
    public void The_overlay_keeps_opaque_pixels_takes_transparent_ones_and_mixes_by_alpha()
    {
        var original = new PixelImage(3, 1, [200, 100, 0, 255, 200, 100, 0, 255, 200, 100, 0, 255]);
        var generated = new PixelImage(3, 1, [0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255]);
        var result = new InpaintMask(3, 1, [255, 0, 51]).Overlay(generated, original);
        Assert.Equal(new byte[] { 200, 100, 0, 255, 0, 0, 255, 255, 40, 20, 204, 255 }, result.Rgba);
    }

    [Fact]
    public void The_masked_image_clears_repainted_pixels_on_every_channel()
    {
        float[] planar = [0.5f, 0.5f, -0.25f, -0.25f, 1f, 1f];
        new InpaintMask(2, 1, [0, 255]).ClearRepainted(planar);
        Assert.Equal([0f, 0.5f, 0f, -0.25f, 0f, 1f], planar);
    }

    [Fact]
    public void The_alpha_channel_is_the_mask()
    {
        var image = new PixelImage(2, 1, [9, 9, 9, 0, 9, 9, 9, 255]);
        var mask = InpaintMask.FromAlpha(image);
        Assert.Equal(new byte[] { 0, 255 }, mask.Keep);
        Assert.True(mask.RepaintsAny);
        Assert.False(new InpaintMask(1, 1, [255]).RepaintsAny);
    }
}
