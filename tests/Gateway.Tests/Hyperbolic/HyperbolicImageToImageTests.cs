using Gateway.Diffusion.Imaging;
using static Gateway.Tests.Hyperbolic.HyperbolicFixture;
using static Gateway.Tests.Hyperbolic.TestImages;

namespace Gateway.Tests.Hyperbolic;

[Collection(HyperbolicCollection.Name)]
public sealed class HyperbolicImageToImageTests(HyperbolicFixture server)
{
    private static readonly PixelImage GradientInput = Gradient(128, 96);
    private static readonly PixelImage SolidInput = Solid(128, 96, 30, 200, 90);

    private async Task<PixelImage> Render(PixelImage input, double? strength, params (string, object?)[] fields) =>
        ImageOf(await server.GenerateAsync(Body([("width", null), ("height", null), ("steps", 8), ("image", Base64(input)),
            ("strength", strength), .. fields])));

    [Fact]
    public async Task The_output_keeps_the_input_size_rounded_down_to_multiples_of_8()
    {
        var output = await Render(Gradient(100, 77), 0.5);
        Assert.Equal((96, 72), (output.Width, output.Height));
    }

    [Fact]
    public async Task Width_and_height_resize_the_input()
    {
        Assert.Equal((64, 128), Size(await Render(GradientInput, 0.5, ("width", 64), ("height", 128))));
        Assert.Equal((64, 96), Size(await Render(GradientInput, 0.5, ("width", 64))));
    }

    [Fact]
    public async Task The_default_strength_changes_the_image_a_lot()
    {
        var kept = await Render(GradientInput, 0.0);
        var output = await Render(GradientInput, null);
        Assert.Equal((128, 96), Size(output));
        Assert.True(MeanAbsoluteDifference(output, GradientInput) > 2 * MeanAbsoluteDifference(kept, GradientInput),
            $"default strength: {MeanAbsoluteDifference(output, GradientInput):0.0}, strength 0: {MeanAbsoluteDifference(kept, GradientInput):0.0}");
    }

    [Fact]
    public async Task Strength_0_returns_almost_the_input()
    {
        // The tiny model's VAE nearly inverts itself (tools/forge): strength 0 is the input after an 8× blur.
        Assert.InRange(MeanAbsoluteDifference(await Render(GradientInput, 0.0), GradientInput), 0, 12);
        Assert.InRange(MeanAbsoluteDifference(await Render(SolidInput, 0.0), SolidInput), 0, 12);
    }

    [Fact]
    public async Task Strength_1_ignores_the_input()
    {
        var fromGradient = await Render(GradientInput, 1.0);
        var fromSolid = await Render(SolidInput, 1.0);
        Assert.True(MeanAbsoluteDifference(fromGradient, fromSolid) < MeanAbsoluteDifference(GradientInput, SolidInput) / 4,
            $"outputs differ by {MeanAbsoluteDifference(fromGradient, fromSolid):0.0}, inputs by {MeanAbsoluteDifference(GradientInput, SolidInput):0.0}");
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg, "")]
    [InlineData(ImageFormat.Webp, "")]
    [InlineData(ImageFormat.Png, "data:image/png;base64,")]
    [InlineData(ImageFormat.Jpeg, "DATA:image/jpeg;BASE64,")]
    public async Task Jpeg_webp_and_data_urls_are_accepted(ImageFormat format, string prefix)
    {
        var response = await server.GenerateAsync(Body(("image", prefix + Base64(GradientInput, format)), ("strength", 0.3)));
        Assert.Equal((64, 64), Size(ImageOf(response)));
    }

    [Fact]
    public async Task Base64_broken_over_lines_is_accepted()
    {
        var wrapped = string.Join('\n', Base64(GradientInput).Chunk(76).Select(line => new string(line)));
        Assert.Equal((128, 96), Size(ImageOf(await server.GenerateAsync(Body(("width", null), ("height", null), ("image", wrapped))))));
    }

    private static (int, int) Size(PixelImage image) => (image.Width, image.Height);
}
