using Gateway.Cli;
using Gateway.Diffusion.Imaging;
using static Gateway.Tests.Hyperbolic.TestImages;

namespace Gateway.Tests.Cli;

/// <summary><c>--controlnet NAME --control-image FILE [--control-scale F]</c> on the command line.</summary>
public sealed class GenerateControlNetCommandTests : CliScratch
{
    private async Task<byte[]> Generate(string name, params string[] extra)
    {
        var (code, _, err) = await Run(["--model", "tiny-sd", "--prompt", "a red fox", "--size", "64x64", "--steps", "3", "--seed", "3",
            "--out", PathOf(name), .. extra]);
        Assert.True(code == 0, err);
        return await File.ReadAllBytesAsync(PathOf(name));
    }

    [Fact]
    public async Task A_controlnet_changes_the_bytes_and_scale_zero_does_not()
    {
        var control = PathOf("control.png");
        await File.WriteAllBytesAsync(control, ImageCodec.Encode(Gradient(64, 64), ImageFormat.Png));
        var plain = await Generate("plain.png");
        var canny = await Generate("canny.png", "--controlnet", "canny", "--control-image", control);
        Assert.NotEqual(plain, canny);
        Assert.Equal(canny, await Generate("again.png", "--controlnet", "tiny-sd-canny", "--control-image", control, "--control-scale", "1"));
        Assert.Equal(plain, await Generate("zero.png", "--controlnet", "canny", "--control-image", control, "--control-scale", "0"));
        Assert.NotEqual(canny, await Generate("raw.png", "--controlnet", "canny", "--control-image", control, "--control-raw"));
    }

    [Fact]
    public async Task Controlnet_options_must_come_together_and_a_wrong_family_is_a_usage_error()
    {
        Assert.Contains("needs --control-image", Assert.Throws<CliUsageException>(() => GenerateOptions.Parse(["--model", "m", "--prompt", "p", "--controlnet", "canny"])).Message);
        Assert.Contains("needs --controlnet", Assert.Throws<CliUsageException>(() => GenerateOptions.Parse(["--model", "m", "--prompt", "p", "--control-scale", "1"])).Message);
        var control = PathOf("control.png");
        await File.WriteAllBytesAsync(control, ImageCodec.Encode(Gradient(64, 64), ImageFormat.Png));
        var (code, _, err) = await Run("--model", "tiny-sd", "--prompt", "x", "--size", "64x64", "--steps", "1", "--controlnet", "tiny-sdxl-canny", "--control-image", control);
        Assert.Equal(2, code);
        Assert.Contains("is a sdxl ControlNet", err);
    }
}
