using Gateway.Diffusion.Imaging;

namespace Gateway.Tests.Cli;

public sealed class GenerateFluxCommandTests : CliScratch
{
    [Fact]
    public async Task Tiny_flux_schnell_writes_a_1024_png_and_the_same_seed_gives_the_same_bytes()
    {
        string[] args = ["--model", "tiny-flux-schnell", "--prompt", "a red fox", "--size", "1024x1024", "--steps", "4", "--seed", "5"];
        var (code, stdout, stderr) = await Run([.. args, "--out", PathOf("a.png")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("sampler Flow Euler", stdout);
        Assert.Equal(0, (await Run([.. args, "--out", PathOf("b.png")])).Code);
        var first = await File.ReadAllBytesAsync(PathOf("a.png"));
        var image = ImageCodec.Decode(first, new ImageDecodeLimits());
        Assert.Equal((1024, 1024), (image.Width, image.Height));
        Assert.Equal(first, await File.ReadAllBytesAsync(PathOf("b.png")));
    }

    [Fact]
    public async Task Tiny_flux_dev_takes_guidance()
    {
        string[] args = ["--model", "tiny-flux-dev", "--prompt", "a red fox", "--size", "256x256", "--steps", "3", "--seed", "5"];
        var (code, stdout, stderr) = await Run([.. args, "--guidance", "2", "--out", PathOf("low.png")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("guidance 2", stdout);
        Assert.Equal(0, (await Run([.. args, "--guidance", "6", "--out", PathOf("high.png")])).Code);
        Assert.NotEqual(await File.ReadAllBytesAsync(PathOf("low.png")), await File.ReadAllBytesAsync(PathOf("high.png")));
    }
}
