using Gateway.Diffusion.Engine;

namespace Gateway.Diffusion.Pipelines.Vae;

/// <summary>
/// Tiled VAE decoding and encoding, as diffusers' <c>AutoencoderKL.enable_tiling()</c> (<c>tiled_decode</c>,
/// <c>_tiled_encode</c>): tiles of <see cref="TileSize"/> pixels a quarter overlapping, each run through the VAE on its
/// own, every tile's overlap with the tile above and the tile to its left blended linearly into it, then cropped and
/// laid side by side. The VAE's memory is then bounded by the tile, whatever the image's size; the price is small
/// tile-sized changes, since the VAE's group norms see one tile at a time.
/// </summary>
internal sealed record VaeTiling
{
    private const double OverlapFactor = 0.25;

    /// <param name="tileSize">Tile edge in pixels (<see cref="EngineOptions.IsValidVaeTileSize"/>).</param>
    public VaeTiling(int tileSize)
    {
        if (!EngineOptions.IsValidVaeTileSize(tileSize))
            throw new ArgumentOutOfRangeException(nameof(tileSize), tileSize, "The VAE tile size must be a multiple of 32 pixels, at least 64.");
        TileSize = tileSize;
    }

    public int TileSize { get; }

    private int LatentTileSize => TileSize / 8;

    /// <summary>Whether a latent image of this size is decoded in tiles (larger than one tile either way).</summary>
    public bool TilesLatents(int latentHeight, int latentWidth) => latentHeight > LatentTileSize || latentWidth > LatentTileSize;

    /// <summary>Whether an image of this size is encoded in tiles.</summary>
    public bool TilesPixels(int height, int width) => height > TileSize || width > TileSize;

    /// <summary>Decodes latents [channels, h, w] tile by tile into pixels [3, 8h, 8w].</summary>
    public float[] Decode(ReadOnlySpan<float> latents, int channels, int latentHeight, int latentWidth, TileRunner decodeTile) =>
        Run(latents, channels, latentHeight, latentWidth, LatentTileSize, TileSize, decodeTile);

    /// <summary>Encodes pixels [3, h, w] tile by tile into the encoder's output [outputs, h/8, w/8].</summary>
    public float[] Encode(ReadOnlySpan<float> pixels, int height, int width, TileRunner encodeTile) =>
        Run(pixels, 3, height, width, TileSize, LatentTileSize, encodeTile);

    /// <summary>Runs one tile [channels, height, width] through the VAE; the output [outputChannels, height·s, width·s]
    /// may be a view that the next call overwrites.</summary>
    public delegate ReadOnlySpan<float> TileRunner(ReadOnlySpan<float> tile, int height, int width, out int outputChannels);

    private static float[] Run(ReadOnlySpan<float> input, int channels, int height, int width, int inputTile, int outputTile, TileRunner runTile)
    {
        var step = (int)(inputTile * (1 - OverlapFactor));
        var blend = (int)(outputTile * OverlapFactor);
        var limit = outputTile - blend;
        var (outputHeight, outputWidth) = (Scale(height, inputTile, outputTile), Scale(width, inputTile, outputTile));
        var tileInput = new float[channels * inputTile * inputTile];
        float[]? output = null;
        List<Tile>? above = null;
        for (var (top, row) = (0, 0); top < height; top += step, row++)
        {
            var current = new List<Tile>();
            for (var (left, column) = (0, 0); left < width; left += step, column++)
            {
                var (tileHeight, tileWidth) = (Math.Min(inputTile, height - top), Math.Min(inputTile, width - left));
                var length = Crop(input, channels, width, top, left, tileHeight, tileWidth, tileInput);
                var result = runTile(tileInput.AsSpan(0, length), tileHeight, tileWidth, out var outputChannels);
                var tile = new Tile(result.ToArray(), outputChannels,
                    Scale(tileHeight, inputTile, outputTile), Scale(tileWidth, inputTile, outputTile));
                if (above is not null) BlendVertical(above[column], tile, blend);
                if (column > 0) BlendHorizontal(current[column - 1], tile, blend);
                current.Add(tile);
                output ??= new float[outputChannels * outputHeight * outputWidth];
                Place(tile, Math.Min(limit, tile.Height), Math.Min(limit, tile.Width), output, outputHeight, outputWidth,
                    row * limit, column * limit);
            }
            above = current;
        }
        return output!;
    }

    private static int Scale(int size, int inputTile, int outputTile) => (int)((long)size * outputTile / inputTile);

    private static int Crop(ReadOnlySpan<float> input, int channels, int width, int top, int left, int height, int tileWidth, float[] tile)
    {
        var planeLength = input.Length / channels;
        var k = 0;
        for (var c = 0; c < channels; c++)
            for (var y = 0; y < height; y++, k += tileWidth)
                input.Slice(c * planeLength + (top + y) * width + left, tileWidth).CopyTo(tile.AsSpan(k));
        return k;
    }

    /// <summary>diffusers' <c>blend_v</c>: the first rows of <paramref name="below"/> fade in from the last rows of <paramref name="above"/>.</summary>
    private static void BlendVertical(Tile above, Tile below, int extent)
    {
        extent = Math.Min(Math.Min(above.Height, below.Height), extent);
        for (var y = 0; y < extent; y++)
        {
            var (keep, take) = Weights(y, extent);
            for (var c = 0; c < below.Channels; c++)
            {
                var from = above.Data.AsSpan(above.Index(c, above.Height - extent + y, 0), above.Width);
                var to = below.Data.AsSpan(below.Index(c, y, 0), below.Width);
                for (var x = 0; x < to.Length; x++) to[x] = from[x] * keep + to[x] * take;
            }
        }
    }

    /// <summary>diffusers' <c>blend_h</c>: the first columns of <paramref name="right"/> fade in from the last columns of <paramref name="left"/>.</summary>
    private static void BlendHorizontal(Tile left, Tile right, int extent)
    {
        extent = Math.Min(Math.Min(left.Width, right.Width), extent);
        for (var x = 0; x < extent; x++)
        {
            var (keep, take) = Weights(x, extent);
            for (var c = 0; c < right.Channels; c++)
                for (var y = 0; y < right.Height; y++)
                {
                    ref var to = ref right.Data[right.Index(c, y, x)];
                    to = left.Data[left.Index(c, y, left.Width - extent + x)] * keep + to * take;
                }
        }
    }

    /// <summary>The weights of both sides at <paramref name="offset"/> into the overlap, rounded to float as torch does
    /// with a Python scalar.</summary>
    private static (float Keep, float Take) Weights(int offset, int extent) =>
        ((float)(1 - (double)offset / extent), (float)((double)offset / extent));

    private static void Place(Tile tile, int height, int width, float[] output, int outputHeight, int outputWidth, int top, int left)
    {
        for (var c = 0; c < tile.Channels; c++)
            for (var y = 0; y < height; y++)
                tile.Data.AsSpan(tile.Index(c, y, 0), width)
                    .CopyTo(output.AsSpan((c * outputHeight + top + y) * outputWidth + left, width));
    }

    private sealed record Tile(float[] Data, int Channels, int Height, int Width)
    {
        public int Index(int channel, int y, int x) => (channel * Height + y) * Width + x;
    }
}
