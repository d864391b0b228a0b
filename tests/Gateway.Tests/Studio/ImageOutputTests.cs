using Gateway.Apis.Shared;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Imaging;
using Gateway.Hosting;

namespace Gateway.Tests.Studio;

public sealed class ImageOutputTests
{
    private static readonly GenerationParameters Parameters = new()
    {
        Prompt = "a lighthouse", Model = "tiny-sd", Width = 8, Height = 8, Steps = 4, Guidance = 7, Sampler = "Euler a", Seed = 3,
    };

    private static PixelImage Gray()
    {
        var image = new PixelImage(8, 8);
        Array.Fill(image.Rgba, (byte)128);
        return image;
    }

    [Fact]
    public void Png_output_carries_the_parameters_unless_switched_off()
    {
        var on = new ImageOutput(new GatewayOptions()).Encode(Gray(), ImageFormat.Png, Parameters);
        Assert.Equal(Parameters.ToInfotext(), PngText.Read(on)["parameters"]);

        var off = new ImageOutput(new GatewayOptions { PngParameters = false }).Encode(Gray(), ImageFormat.Png, Parameters);
        Assert.Empty(PngText.Read(off));
        Assert.Equal(ImageCodec.Encode(Gray(), ImageFormat.Png), off);
    }

    [Fact]
    public void Jpeg_and_webp_are_encoded_as_they_were() =>
        Assert.Equal(ImageCodec.Encode(Gray(), ImageFormat.Jpeg), new ImageOutput(new GatewayOptions()).Encode(Gray(), ImageFormat.Jpeg, Parameters));
}
