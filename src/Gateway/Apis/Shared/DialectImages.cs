namespace Gateway.Apis.Shared;

/// <summary>Encoding a batch's images, the same way in every dialect: in parallel, stopped by the request's cancellation.</summary>
public static class DialectImages
{
    public static Task<byte[][]> EncodeAsync<T>(IEnumerable<T> images, Func<T, byte[]> encode, CancellationToken cancel) =>
        // PNG encoding must not dominate fast models, so the images of a batch encode at once.
        Task.WhenAll(images.Select(image => Task.Run(() => encode(image), cancel)));
}
