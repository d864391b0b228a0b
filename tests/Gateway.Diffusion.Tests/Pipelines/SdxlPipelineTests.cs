using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Engine;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Pipelines;

[Collection(EngineCollection.Name)]
public sealed class SdxlPipelineTests(EngineFixture fixture)
{
    private readonly DiffusionEngine _engine = fixture.Engine;

    private static GenerationRequest Request(string model = "tiny-sdxl", ulong seed = 1, int width = 128, int height = 128, int steps = 4) => new()
    {
        Model = model, Prompt = "a lighthouse at dusk", Width = width, Height = height, Steps = steps, Seed = seed,
    };

    private async Task<PixelImage> Render(GenerationRequest request) => (await _engine.GenerateAsync(request)).Images[0].Image;

    [Fact]
    public async Task A_1024_image_has_its_size_and_the_same_seed_gives_the_same_pixels()
    {
        var first = await Render(Request(width: 1024, height: 1024, steps: 2));
        var again = await Render(Request(width: 1024, height: 1024, steps: 2));
        var other = await Render(Request(seed: 2, width: 1024, height: 1024, steps: 2));
        Assert.Equal((1024, 1024), (first.Width, first.Height));
        Assert.Equal(first.Rgba, again.Rgba);
        Assert.NotEqual(first.Rgba, other.Rgba);
    }

    [Theory]
    [InlineData(832, 1216)]
    [InlineData(192, 128)]
    public async Task Images_have_the_requested_size(int width, int height)
    {
        var image = await Render(Request(width: width, height: height, steps: 1));
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [Fact]
    public async Task The_refiner_changes_the_image_and_is_deterministic()
    {
        var plain = await Render(Request(steps: 10));
        var refined = await Render(Request(steps: 10) with { UseRefiner = true });
        var again = await Render(Request(steps: 10) with { UseRefiner = true });
        Assert.NotEqual(plain.Rgba, refined.Rgba);
        Assert.Equal(refined.Rgba, again.Rgba);
    }

    [Fact]
    public async Task The_legacy_export_layout_gives_the_same_pixels_as_the_current_one()
    {
        // Same weights; int32 vs int64 input_ids, timestep [batch] vs a scalar.
        var current = await Render(Request());
        var legacy = await Render(Request("tiny-sdxl-legacy"));
        Assert.Equal(current.Rgba, legacy.Rgba);
    }

    [Fact]
    public async Task Second_prompts_default_to_the_first_ones_and_change_the_image_when_they_differ()
    {
        var plain = await Render(Request() with { NegativePrompt = "fog" });
        var same = await Render(Request() with { NegativePrompt = "fog", Prompt2 = "a lighthouse at dusk", NegativePrompt2 = "fog" });
        var other = await Render(Request() with { NegativePrompt = "fog", Prompt2 = "a castle" });
        var otherNegative = await Render(Request() with { NegativePrompt = "fog", NegativePrompt2 = "rain" });
        Assert.Equal(plain.Rgba, same.Rgba);
        Assert.NotEqual(plain.Rgba, other.Rgba);
        Assert.NotEqual(plain.Rgba, otherNegative.Rgba);
    }

    [Fact]
    public async Task Image_to_image_works_on_sdxl()
    {
        var init = new PixelImage(128, 128, Enumerable.Repeat(new byte[] { 200, 60, 40, 255 }, 128 * 128).SelectMany(p => p).ToArray());
        var kept = await Render(Request() with { InitImage = new InitImage(init, 0) });
        var changed = await Render(Request() with { InitImage = new InitImage(init, 0.6) });
        Assert.NotEqual(kept.Rgba, changed.Rgba);
        // Strength 0 runs no step: the VAE round trip keeps the colour.
        Assert.InRange(kept.Rgba[4 * (64 * 128 + 64)], 150, 250);
    }

    [Fact]
    public async Task Second_prompts_on_a_model_with_one_text_encoder_are_refused_naming_the_field()
    {
        var error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            _engine.GenerateAsync(Request("tiny-sd") with { Prompt2 = "a castle" }));
        Assert.Equal("prompt_2", error.Param);
        error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            _engine.GenerateAsync(Request("tiny-sd") with { NegativePrompt2 = "rain" }));
        Assert.Equal("negative_prompt_2", error.Param);
    }

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sdxl-turbo")]
    public async Task A_refiner_on_a_model_without_one_is_refused_naming_the_field(string model)
    {
        var error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            _engine.GenerateAsync(Request(model) with { UseRefiner = true }));
        Assert.Equal("refiner", error.Param);
    }

    [Fact]
    public async Task Batched_sdxl_requests_give_the_same_pixels_as_alone()
    {
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxBatchImages = 8 });
        engine.Load("tiny-sd");
        engine.Load("tiny-sdxl");
        engine.Load("tiny-sdxl-refiner");
        GenerationRequest[] requests =
        [
            Request(seed: 1) with { Guidance = 5.0 },
            Request(seed: 2) with { Guidance = 3.0, NegativePrompt = "blurry", Prompt2 = "oil painting" },
            Request(seed: 3) with { Guidance = 7.0, ImageCount = 2 },
        ];
        var refined = requests.Select(r => r with { UseRefiner = true, Steps = 5 }).ToArray();
        var all = requests.Concat(refined).ToArray();
        var alone = new List<GenerationResult>();
        foreach (var request in all) alone.Add(await engine.GenerateAsync(request));

        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var batched = all.Select(r => engine.GenerateAsync(r)).ToArray();
        blocker.Release();
        await first;
        var results = await Task.WhenAll(batched);

        for (var i = 0; i < all.Length; i++)
        {
            // The plain and the refined requests have different batch keys: two runs of four images.
            Assert.Equal(4, results[i].BatchSize);
            for (var k = 0; k < alone[i].Images.Count; k++)
                Assert.Equal(alone[i].Images[k].Image.Rgba, results[i].Images[k].Image.Rgba);
        }
    }
}
