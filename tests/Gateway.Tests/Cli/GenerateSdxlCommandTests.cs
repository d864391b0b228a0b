using Gateway.Diffusion.Imaging;

namespace Gateway.Tests.Cli;

public sealed class GenerateSdxlCommandTests : CliScratch
{
    private static PixelImage Decode(byte[] png) => ImageCodec.Decode(png, new ImageDecodeLimits());

    [Fact]
    public async Task Tiny_sdxl_writes_a_1024_png_and_the_same_seed_gives_the_same_bytes()
    {
        string[] args = ["--model", "tiny-sdxl", "--prompt", "a lighthouse", "--size", "1024x1024", "--steps", "4", "--seed", "1"];
        var (code, stdout, stderr) = await Run([.. args, "--out", PathOf("a.png")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("seed 1", stdout);
        Assert.Equal(0, (await Run([.. args, "--out", PathOf("b.png")])).Code);
        var first = await File.ReadAllBytesAsync(PathOf("a.png"));
        Assert.Equal((1024, 1024), (Decode(first).Width, Decode(first).Height));
        Assert.Equal(first, await File.ReadAllBytesAsync(PathOf("b.png")));
    }

    [Fact]
    public async Task Size_832x1216_gives_832x1216()
    {
        var (code, _, stderr) = await Run("--model", "tiny-sdxl", "--prompt", "x", "--size", "832x1216", "--steps", "1", "--seed", "1", "--out", PathOf("p.png"));
        Assert.True(code == 0, stderr);
        var image = Decode(await File.ReadAllBytesAsync(PathOf("p.png")));
        Assert.Equal((832, 1216), (image.Width, image.Height));
    }

    [Fact]
    public async Task The_refiner_and_the_second_prompt_change_the_bytes()
    {
        string[] args = ["--model", "tiny-sdxl", "--prompt", "a lighthouse", "--size", "256x256", "--steps", "5", "--seed", "1"];
        Assert.Equal(0, (await Run([.. args, "--out", PathOf("plain.png")])).Code);
        var (code, _, stderr) = await Run([.. args, "--refiner", "--out", PathOf("refined.png")]);
        Assert.True(code == 0, stderr);
        Assert.Equal(0, (await Run([.. args, "--prompt-2", "a castle", "--out", PathOf("second.png")])).Code);
        var plain = await File.ReadAllBytesAsync(PathOf("plain.png"));
        Assert.NotEqual(plain, await File.ReadAllBytesAsync(PathOf("refined.png")));
        Assert.NotEqual(plain, await File.ReadAllBytesAsync(PathOf("second.png")));
    }

    [Fact]
    public async Task A_refiner_on_a_model_without_one_exits_2_naming_it()
    {
        var (code, _, stderr) = await Run("--model", "tiny-sd", "--prompt", "x", "--size", "64x64", "--steps", "1", "--refiner", "--out", PathOf("r.png"));
        Assert.Equal(2, code);
        Assert.Contains("no refiner", stderr);
    }
}
