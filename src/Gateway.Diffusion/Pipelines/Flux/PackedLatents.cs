using Gateway.Diffusion.Pipelines.Denoising;

namespace Gateway.Diffusion.Pipelines.Flux;

/// <summary>
/// FluxPipeline's <c>_pack_latents</c> / <c>_unpack_latents</c> and <c>_prepare_latent_image_ids</c>: latents
/// [C, h, w] (h, w even) become (h/2)·(w/2) tokens of 4C values, token (i, j) holding channel c's 2×2 patch at
/// c·4 + 2·dy + dx, and token (i, j) sits at position (0, i, j).
/// </summary>
internal sealed class PackedLatents : LatentLayout
{
    public static PackedLatents Instance { get; } = new();

    public override int? ImageSequenceLength(int latentHeight, int latentWidth) => latentHeight / 2 * (latentWidth / 2);

    public override float[] FromVae(float[] latents, int channels, int latentHeight, int latentWidth)
    {
        var packed = new float[latents.Length];
        Pack(latents, packed, channels, latentHeight, latentWidth);
        return packed;
    }

    public override float[] ToVae(float[] latents, int channels, int latentHeight, int latentWidth)
    {
        var unpacked = new float[latents.Length];
        Unpack(latents, unpacked, channels, latentHeight, latentWidth);
        return unpacked;
    }

    /// <summary>[C, h, w] → [(h/2)·(w/2), 4C]: view [C, h/2, 2, w/2, 2], permute (1, 3, 0, 2, 4).</summary>
    public static void Pack(ReadOnlySpan<float> latents, Span<float> packed, int channels, int latentHeight, int latentWidth)
    {
        Check(latents.Length, packed.Length, channels, latentHeight, latentWidth);
        var index = 0;
        for (var i = 0; i < latentHeight / 2; i++)
            for (var j = 0; j < latentWidth / 2; j++)
                for (var c = 0; c < channels; c++)
                    for (var dy = 0; dy < 2; dy++)
                        for (var dx = 0; dx < 2; dx++)
                            packed[index++] = latents[(c * latentHeight + 2 * i + dy) * latentWidth + 2 * j + dx];
    }

    /// <summary>The inverse of <see cref="Pack"/>.</summary>
    public static void Unpack(ReadOnlySpan<float> packed, Span<float> latents, int channels, int latentHeight, int latentWidth)
    {
        Check(latents.Length, packed.Length, channels, latentHeight, latentWidth);
        var index = 0;
        for (var i = 0; i < latentHeight / 2; i++)
            for (var j = 0; j < latentWidth / 2; j++)
                for (var c = 0; c < channels; c++)
                    for (var dy = 0; dy < 2; dy++)
                        for (var dx = 0; dx < 2; dx++)
                            latents[(c * latentHeight + 2 * i + dy) * latentWidth + 2 * j + dx] = packed[index++];
    }

    /// <summary>img_ids [(h/2)·(w/2), 3]: (0, i, j) for token (i, j), row-major.</summary>
    public static float[] ImageIds(int latentHeight, int latentWidth)
    {
        var rows = latentHeight / 2;
        var columns = latentWidth / 2;
        var ids = new float[rows * columns * 3];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < columns; j++)
            {
                var at = (i * columns + j) * 3;
                ids[at + 1] = i;
                ids[at + 2] = j;
            }
        return ids;
    }

    private static void Check(int latents, int packed, int channels, int latentHeight, int latentWidth)
    {
        if (latentHeight % 2 != 0 || latentWidth % 2 != 0)
            throw new ArgumentException($"Packing needs an even latent size; got {latentHeight}×{latentWidth}.");
        if (latents != channels * latentHeight * latentWidth || packed != latents)
            throw new ArgumentException($"Expected {channels}×{latentHeight}×{latentWidth} values; got {latents} and {packed}.");
    }
}
