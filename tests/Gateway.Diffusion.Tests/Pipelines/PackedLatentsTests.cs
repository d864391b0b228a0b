using Gateway.Diffusion.Pipelines.Flux;

namespace Gateway.Diffusion.Tests.Pipelines;

/// <summary>Flux's 2×2 latent packing against diffusers' FluxPipeline._pack_latents and _prepare_latent_image_ids.</summary>
public sealed class PackedLatentsTests
{
    [Fact]
    public void Packs_as_diffusers_does()
    {
        // diffusers: latents.view(1, 2, 2, 2, 3, 2).permute(0, 2, 4, 1, 3, 5).reshape(1, 6, 8) of arange(48) as
        // [1, 2, 4, 6], evaluated with numpy's reshape/transpose (the same semantics).
        float[][] expected =
        [
            [0, 1, 6, 7, 24, 25, 30, 31], [2, 3, 8, 9, 26, 27, 32, 33], [4, 5, 10, 11, 28, 29, 34, 35],
            [12, 13, 18, 19, 36, 37, 42, 43], [14, 15, 20, 21, 38, 39, 44, 45], [16, 17, 22, 23, 40, 41, 46, 47],
        ];
        var latents = Enumerable.Range(0, 48).Select(i => (float)i).ToArray();

        var packed = PackedLatents.Instance.FromVae(latents, channels: 2, latentHeight: 4, latentWidth: 6);

        Assert.Equal(expected.SelectMany(row => row), packed);
    }

    [Fact]
    public void Unpacking_restores_the_latents()
    {
        var random = new Random(13);
        var latents = Enumerable.Range(0, 16 * 8 * 12).Select(_ => (float)random.NextDouble()).ToArray();

        var packed = PackedLatents.Instance.FromVae(latents, 16, 8, 12);

        Assert.NotEqual(latents, packed);
        Assert.Equal(latents, PackedLatents.Instance.ToVae(packed, 16, 8, 12));
        Assert.Equal(4 * 6, PackedLatents.Instance.ImageSequenceLength(8, 12));
    }

    [Fact]
    public void Image_ids_are_zero_row_column()
    {
        // diffusers' _prepare_latent_image_ids(1, 2, 3): ids[i, j] = (0, i, j), flattened row-major.
        Assert.Equal([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 1, 2], PackedLatents.ImageIds(4, 6));
    }

    [Fact]
    public void Odd_latent_sizes_cannot_be_packed()
    {
        Assert.Throws<ArgumentException>(() => PackedLatents.Instance.FromVae(new float[16 * 3 * 4], 16, 3, 4));
    }
}
