using Gateway.Apis.Shared;
using Gateway.Diffusion.Imaging;
using Gateway.Errors;

namespace Gateway.Apis.OpenAi;

/// <summary>Image and mask file parts of OpenAI's multipart endpoints, decoded within <see cref="DialectImages.DecodeLimits"/>.</summary>
public static class UploadedImages
{
    /// <summary>The image to edit; 400 naming its part when it is not a PNG, JPEG or WebP within the limits.</summary>
    public static Task<PixelImage> DecodeImageAsync(IFormFile file, CancellationToken cancel) => DecodeAsync(file, flattenAlpha: true, cancel);

    /// <summary>The mask's alpha: transparent pixels are repainted. 400 naming <c>mask</c> when it does not decode or keeps everything.</summary>
    public static async Task<InpaintMask> DecodeMaskAsync(IFormFile file, CancellationToken cancel)
    {
        var mask = InpaintMask.FromAlpha(await DecodeAsync(file, flattenAlpha: false, cancel));
        if (!mask.RepaintsAny)
            throw ApiException.BadRequest(file.Name,
                "The mask has no transparent pixels. Send a PNG with an alpha channel whose fully transparent pixels mark where to edit.");
        return mask;
    }

    private static async Task<PixelImage> DecodeAsync(IFormFile file, bool flattenAlpha, CancellationToken cancel)
    {
        if (file.Length == 0) throw ApiException.BadRequest(file.Name, $"'{file.Name}' is an empty file.");
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream()) await stream.ReadExactlyAsync(bytes, cancel);
        try
        {
            return ImageCodec.Decode(bytes, DialectImages.DecodeLimits, flattenAlpha);
        }
        catch (InvalidImageException e)
        {
            throw ApiException.BadRequest(file.Name, e.Message, "invalid_image");
        }
    }
}
