using Gateway.Cli;
using Gateway.Diffusion.Imaging;

namespace Gateway.Tests.Cli;

public sealed class GenerateCommandTests : CliScratch
{
    [Fact]
    public async Task Writes_a_png_of_the_asked_size_and_the_same_seed_gives_the_same_bytes()
    {
        var (code, stdout, stderr) = await Run("--model", "tiny-sd", "--prompt", "a lighthouse", "--size", "512x512",
            "--steps", "4", "--seed", "42", "--out", PathOf("a.png"));
        Assert.Equal(0, code);
        Assert.Contains("seed 42", stdout);
        Assert.Contains("step 4/4", stderr);
        var first = await File.ReadAllBytesAsync(PathOf("a.png"));
        var image = ImageCodec.Decode(first, new ImageDecodeLimits());
        Assert.Equal((512, 512), (image.Width, image.Height));

        await Run("--model", "tiny-sd", "--prompt", "a lighthouse", "--size", "512x512", "--steps", "4", "--seed", "42", "--out", PathOf("b.png"));
        await Run("--model", "tiny-sd", "--prompt", "a lighthouse", "--size", "512x512", "--steps", "4", "--seed", "43", "--out", PathOf("c.png"));
        Assert.Equal(first, await File.ReadAllBytesAsync(PathOf("b.png")));
        Assert.NotEqual(first, await File.ReadAllBytesAsync(PathOf("c.png")));
    }

    [Fact]
    public async Task Size_768x512_gives_768x512()
    {
        var (code, _, _) = await Run("--model", "tiny-sd", "--prompt", "x", "--size", "768x512", "--steps", "2", "--seed", "1", "--out", PathOf("w.png"));
        Assert.Equal(0, code);
        var image = ImageCodec.Decode(await File.ReadAllBytesAsync(PathOf("w.png")), new ImageDecodeLimits());
        Assert.Equal((768, 512), (image.Width, image.Height));
    }

    [Fact]
    public async Task Jpeg_and_webp_follow_the_extension()
    {
        Assert.Equal(0, (await Run("--model", "tiny-sd", "--prompt", "x", "--size", "128x128", "--steps", "1", "--out", PathOf("x.jpg"))).Code);
        Assert.Equal(0, (await Run("--model", "tiny-sd", "--prompt", "x", "--size", "128x128", "--steps", "1", "--out", PathOf("x.webp"))).Code);
        Assert.Equal(0xFF, (await File.ReadAllBytesAsync(PathOf("x.jpg")))[0]);
        Assert.Equal((byte)'R', (await File.ReadAllBytesAsync(PathOf("x.webp")))[0]);
    }

    [Fact]
    public async Task Fp16_model_renders_from_the_cli()
    {
        var (code, _, err) = await Run("--model", "tiny-sd-fp16", "--prompt", "x", "--size", "256x256", "--steps", "3", "--seed", "5", "--out", PathOf("h.png"));
        Assert.True(code == 0, err);
    }

    [Fact]
    public async Task Image_to_image_from_a_file()
    {
        await Run("--model", "tiny-sd", "--prompt", "x", "--size", "192x128", "--steps", "2", "--seed", "1", "--out", PathOf("in.png"));
        var (code, _, err) = await Run("--model", "tiny-sd", "--prompt", "y", "--image", PathOf("in.png"), "--strength", "0.5",
            "--steps", "4", "--seed", "1", "--out", PathOf("out.png"));
        Assert.True(code == 0, err);
        var image = ImageCodec.Decode(await File.ReadAllBytesAsync(PathOf("out.png")), new ImageDecodeLimits());
        Assert.Equal((192, 128), (image.Width, image.Height));
    }

    [Theory]
    [InlineData("unknown model 'nope'", "--model", "nope", "--prompt", "x")]
    [InlineData("Unknown sampler 'Nope'", "--model", "tiny-sd", "--prompt", "x", "--sampler", "Nope")]
    [InlineData("--size '512' is not WIDTHxHEIGHT", "--model", "tiny-sd", "--prompt", "x", "--size", "512")]
    [InlineData("width must be a multiple of 8", "--model", "tiny-sd", "--prompt", "x", "--size", "500x512")]
    [InlineData("--prompt is required", "--model", "tiny-sd")]
    [InlineData("unknown option '--colour'", "--model", "tiny-sd", "--prompt", "x", "--colour", "red")]
    [InlineData("--steps 'ten' is not a valid whole number", "--model", "tiny-sd", "--prompt", "x", "--steps", "ten")]
    [InlineData("must end in .png", "--model", "tiny-sd", "--prompt", "x", "--out", "a.bmp")]
    public async Task Bad_input_exits_non_zero_with_a_one_line_error(string expected, params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);
        Assert.Equal(GenerateCommand.ExitUsage, code);
        Assert.Empty(stdout);
        var firstLine = stderr.Split('\n')[0];
        Assert.StartsWith("error: ", firstLine);
        Assert.Contains(expected, firstLine);
    }

    [Fact]
    public async Task Help_prints_usage_and_succeeds()
    {
        var (code, _, stderr) = await Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage: Gateway generate", stderr);
    }
}
