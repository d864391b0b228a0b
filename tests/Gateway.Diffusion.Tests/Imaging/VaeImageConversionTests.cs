using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Imaging;

public sealed class VaeImageConversionTests
{
    [Fact]
    public void Vae_range_maps_to_bytes_as_diffusers_does()
    {
        // Planar R, G, B for a 2×1 image: -1 → 0, 1 → 255, 0 → 127.5 → 128 (round half to even), out of range clamps.
        float[] planar = [-1f, 1f, 0f, 3f, -7f, 0.5f];
        var image = VaeImageConversion.ToImage(planar, 2, 1);
        Assert.Equal(new byte[] { 0, 128, 0, 255, 255, 255, 191, 255 }, image.Rgba);
    }

    [Fact]
    public void Bytes_map_back_to_the_vae_range()
    {
        var image = new PixelImage(1, 1, [0, 255, 51, 255]);
        Assert.Equal(new[] { -1f, 1f, 51 / 127.5f - 1f }, VaeImageConversion.ToPlanar(image));
    }
}
