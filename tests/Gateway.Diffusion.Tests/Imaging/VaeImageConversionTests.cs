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
    public void Vectorised_and_scalar_paths_agree_with_the_float32_definition_for_every_pixel()
    {
        // 37×3 pixels: whole vectors and a scalar tail. Values straddle every clamp edge and the half-way points
        // where rounding to even decides, plus NaN (black, as the saturating conversion makes it) and infinities.
        const int width = 37, height = 3, plane = width * height;
        var random = new Random(7);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1f, 1f, 0f, -0f, 1.0000001f, -1.0000001f];
        var planar = new float[3 * plane];
        for (var i = 0; i < planar.Length; i++)
        {
            planar[i] = i % 5 == 0 ? special[i / 5 % special.Length]
                : i % 5 == 1 ? (2f * (random.Next(256) + 0.5f) / 255f) - 1f // lands near k + ½ before rounding
                : (float)(random.NextDouble() * 2.4 - 1.2);
        }

        var image = VaeImageConversion.ToImage(planar, width, height);

        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                var x = planar[c * plane + p];
                var unit = x / 2f + 0.5f;
                unit = float.IsNaN(unit) ? 0f : Math.Clamp(unit, 0f, 1f);
                Assert.Equal((byte)MathF.Round(unit * 255f, MidpointRounding.ToEven), image.Rgba[4 * p + c]);
            }
            Assert.Equal(255, image.Rgba[4 * p + 3]);
        }
    }

    [Fact]
    public void Bytes_map_back_to_the_vae_range()
    {
        var image = new PixelImage(1, 1, [0, 255, 51, 255]);
        Assert.Equal(new[] { -1f, 1f, 51 / 127.5f - 1f }, VaeImageConversion.ToPlanar(image));
    }
}
