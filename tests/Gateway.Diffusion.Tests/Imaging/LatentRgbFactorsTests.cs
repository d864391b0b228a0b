using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Tests.Imaging;

public sealed class LatentRgbFactorsTests
{
    /// <summary>Latents [4, 2, 3] with value k at sin(0.7·k)·2.5.</summary>
    private static float[] Latents() => Enumerable.Range(0, 24).Select(k => MathF.Sin(0.7f * k) * 2.5f).ToArray();

    // Expected bytes: numpy (float32) running ComfyUI's Latent2RGBPreviewer on these latents:
    // F.linear(x0.movedim(0, -1), factors.T, bias), clamp(-1, 1), (v + 1)·127.5, round half to even.
    [Theory]
    [InlineData(ModelFamily.Sdxl10, new byte[] { 238, 154, 85, 239, 172, 133, 194, 167, 177, 125, 143, 199, 63, 111, 186, 38, 85, 146 })]
    [InlineData(ModelFamily.Sd15, new byte[] { 0, 35, 129, 24, 0, 0, 139, 0, 0, 248, 73, 0, 255, 176, 57, 255, 255, 199 })]
    public void Maps_latents_to_rgb_as_comfyui_does(ModelFamily family, byte[] expected)
    {
        var image = LatentRgbFactors.For(family).ToImage(Latents(), 2, 3);
        Assert.Equal((3, 2), (image.Width, image.Height));
        var rgb = image.Rgba.Where((_, i) => i % 4 != 3).ToArray();
        Assert.Equal(expected, rgb);
        Assert.All(image.Rgba.Where((_, i) => i % 4 == 3), alpha => Assert.Equal(255, alpha));
    }

    [Fact]
    public void Each_family_reads_its_own_latent_channels()
    {
        Assert.Equal(4, LatentRgbFactors.For(ModelFamily.Sd2).Channels);
        Assert.Equal(4, LatentRgbFactors.For(ModelFamily.SdxlRefiner).Channels);
        Assert.Equal(16, LatentRgbFactors.For(ModelFamily.FluxDev).Channels);
        Assert.Throws<ArgumentException>(() => LatentRgbFactors.For(ModelFamily.FluxSchnell).ToImage(Latents(), 2, 3));
    }
}
