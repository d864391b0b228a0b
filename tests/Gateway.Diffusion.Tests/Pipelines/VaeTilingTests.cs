using System.Text.Json;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Pipelines.Vae;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Pipelines;

public sealed class VaeTilingTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "vae-tiling");

    /// <summary>Fixtures/vae-tiling/golden.json: diffusers' own tiled_decode / _tiled_encode around the stand-in VAE below
    /// (make_golden.py beside it says how).</summary>
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "golden.json"))).RootElement;

    [Fact]
    public void Tiled_decoding_blends_and_crops_as_diffusers_does()
    {
        var (channels, height, width) = Shape("latent_shape");
        var latents = Pattern(channels * height * width, "latent_pattern");
        var tiling = new VaeTiling(Golden.GetProperty("tile_size").GetInt32());
        Assert.True(tiling.TilesLatents(height, width));

        var decoded = tiling.Decode(latents, channels, height, width, (ReadOnlySpan<float> tile, int h, int w, out int outputs) =>
        {
            outputs = 3;
            return StandInDecoder(tile, h, w);
        });

        var (_, outHeight, outWidth) = Shape("decoded_shape");
        Assert.Equal(3 * outHeight * outWidth, decoded.Length);
        var expected = ReadFloats("decoded.bin");
        var k = 0;
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < outHeight; y += 2)
                for (var x = 0; x < outWidth; x += 2, k++)
                    Assert.True(Math.Abs(expected[k] - decoded[(c * outHeight + y) * outWidth + x]) < 1e-5,
                        $"pixel c{c} y{y} x{x}: diffusers {expected[k]}, ours {decoded[(c * outHeight + y) * outWidth + x]}");
        Assert.Equal(expected.Length, k);
    }

    [Fact]
    public void Tiled_encoding_blends_the_distribution_as_diffusers_does()
    {
        var (_, height, width) = Shape("pixel_shape");
        var pixels = Pattern(3 * height * width, "pixel_pattern");
        var tiling = new VaeTiling(Golden.GetProperty("tile_size").GetInt32());
        Assert.True(tiling.TilesPixels(height, width));

        var encoded = tiling.Encode(pixels, height, width, (ReadOnlySpan<float> tile, int h, int w, out int outputs) =>
        {
            outputs = 8;
            return StandInEncoder(tile, h, w);
        });

        var expected = ReadFloats("encoded.bin");
        Assert.Equal(expected.Length, encoded.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - encoded[i]) < 1e-5, $"value {i}: diffusers {expected[i]}, ours {encoded[i]}");
    }

    [Fact]
    public void Images_no_larger_than_a_tile_are_not_tiled()
    {
        var tiling = new VaeTiling(512);
        Assert.False(tiling.TilesLatents(64, 64));
        Assert.True(tiling.TilesLatents(64, 65));
        Assert.False(tiling.TilesPixels(512, 512));
        Assert.True(tiling.TilesPixels(520, 512));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(100)]
    [InlineData(500)]
    public void A_tile_size_must_be_a_multiple_of_32_from_64(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new VaeTiling(size));

    [Fact]
    public async Task An_engine_with_tiling_renders_large_images_in_tiles_and_small_ones_as_before()
    {
        using var plain = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory });
        using var tiled = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, VaeTileSize = 128 });
        plain.Load("tiny-sd");
        tiled.Load("tiny-sd");
        var small = Request(128, 128);
        var large = Request(320, 192);

        Assert.Equal((await Render(plain, small)).Rgba, (await Render(tiled, small)).Rgba);
        var whole = await Render(plain, large);
        var inTiles = await Render(tiled, large);
        Assert.Equal((320, 192), (inTiles.Width, inTiles.Height));
        Assert.NotEqual(whole.Rgba, inTiles.Rgba);
        Assert.Equal(inTiles.Rgba, (await Render(tiled, large)).Rgba);

        // Image-to-image encodes the init image in tiles too, and stays deterministic.
        var edit = large with { InitImage = new InitImage(whole, 0.5) };
        var tiledEdit = await Render(tiled, edit);
        Assert.NotEqual((await Render(plain, edit)).Rgba, tiledEdit.Rgba);
        Assert.Equal(tiledEdit.Rgba, (await Render(tiled, edit)).Rgba);
    }

    private static GenerationRequest Request(int width, int height) => new()
    {
        Model = "tiny-sd",
        Prompt = "a lighthouse on a cliff",
        Width = width,
        Height = height,
        Steps = 2,
        Seed = 7,
    };

    private static async Task<PixelImage> Render(DiffusionEngine engine, GenerationRequest request) =>
        (await engine.GenerateAsync(request)).Images[0].Image;

    /// <summary>make_golden.py's decoder: channels 0–2 upsampled 8× (nearest), scaled by 1 + the tile's mean of channel 3.</summary>
    private static float[] StandInDecoder(ReadOnlySpan<float> tile, int height, int width)
    {
        var plane = height * width;
        var scale = 1 + Mean(tile.Slice(3 * plane, plane));
        var output = new float[3 * plane * 64];
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < 8 * height; y++)
                for (var x = 0; x < 8 * width; x++)
                    output[(c * 8 * height + y) * 8 * width + x] = tile[c * plane + y / 8 * width + x / 8] * scale;
        return output;
    }

    /// <summary>make_golden.py's encoder: 8×8 average pools of the three channels and their mean, then the negated
    /// four, all scaled by 1 + the tile's mean.</summary>
    private static float[] StandInEncoder(ReadOnlySpan<float> tile, int height, int width)
    {
        var (latentHeight, latentWidth) = (height / 8, width / 8);
        var plane = latentHeight * latentWidth;
        var scale = 1 + Mean(tile);
        var moments = new float[4 * plane];
        for (var c = 0; c < 3; c++)
            for (var y = 0; y < latentHeight; y++)
                for (var x = 0; x < latentWidth; x++)
                {
                    var sum = 0f;
                    for (var dy = 0; dy < 8; dy++)
                        for (var dx = 0; dx < 8; dx++)
                            sum += tile[(c * height + 8 * y + dy) * width + 8 * x + dx];
                    moments[c * plane + y * latentWidth + x] = sum / 64;
                }
        for (var i = 0; i < plane; i++) moments[3 * plane + i] = (moments[i] + moments[plane + i] + moments[2 * plane + i]) / 3;
        var output = new float[8 * plane];
        for (var i = 0; i < 4 * plane; i++)
        {
            output[i] = moments[i] * scale;
            output[4 * plane + i] = -moments[i] * scale;
        }
        return output;
    }

    private static float Mean(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += v;
        return (float)(sum / values.Length);
    }

    private static (int Channels, int Height, int Width) Shape(string name)
    {
        var shape = Golden.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (shape[1], shape[2], shape[3]);
    }

    /// <summary>sin(i·a + b) in double, rounded to float, as make_golden.py makes its inputs.</summary>
    private static float[] Pattern(int length, string name)
    {
        var p = Golden.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return Enumerable.Range(0, length).Select(i => (float)Math.Sin(i * p[0] + p[1])).ToArray();
    }

    private static float[] ReadFloats(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures, file));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
