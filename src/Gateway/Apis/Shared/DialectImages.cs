using Gateway.Diffusion.Imaging;

namespace Gateway.Apis.Shared;

/// <summary>Images in and out, the same way in every dialect: the decoding limits of uploaded images, and encoding a batch's
/// images in parallel, stopped by the request's cancellation.</summary>
public static class DialectImages
{
    /// <summary>16 megapixels (4096×4096); <see cref="ImageCodec"/> refuses more before decoding.</summary>
    public static readonly ImageDecodeLimits DecodeLimits = new(MaxPixels: 16L * 1024 * 1024);

    public static Task<byte[][]> EncodeAsync<T>(IEnumerable<T> images, Func<T, byte[]> encode, CancellationToken cancel) =>
        // PNG encoding must not dominate fast models, so the images of a batch encode at once.
        Task.WhenAll(images.Select(image => Task.Run(() => encode(image), cancel)));
}
