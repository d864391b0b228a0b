using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;

namespace Gateway.Apis.Shared;

/// <summary>Encodes generated images for delivery, every dialect and the CLI alike: PNGs carry their parameters as A1111's
/// <c>parameters</c> text unless <c>Gateway:PngParameters</c> is false.</summary>
public sealed class ImageOutput(GatewayOptions options)
{
    public byte[] Encode(PixelImage image, ImageFormat format, GenerationParameters parameters, int quality = 90)
    {
        var bytes = ImageCodec.Encode(image, format, quality);
        return format == ImageFormat.Png && options.PngParameters
            ? PngTextChunk.Insert(bytes, GenerationParameters.PngKeyword, parameters.ToInfotext())
            : bytes;
    }
}
