using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Engine;

public sealed class PixelBudgetTests
{
    private static GenerationRequest Request(int side, int count) => new()
    {
        Model = "tiny-sd", Prompt = "a cat", Width = side, Height = side, Steps = 1, Seed = 1, ImageCount = count,
    };

    [Fact]
    public async Task A_request_over_the_pixel_budget_is_refused_naming_n_or_the_size_and_one_within_it_runs()
    {
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxPixelsPerRequest = 128 * 128 * 2 });
        engine.Load("tiny-sd");
        var many = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => engine.GenerateAsync(Request(128, 3)));
        Assert.Equal("n", many.Param);
        Assert.Contains("Gateway:MaxPixelsPerRequest", many.Message);
        var large = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => engine.GenerateAsync(Request(192, 1)));
        Assert.Equal("width", large.Param);
        Assert.Equal(2, (await engine.GenerateAsync(Request(128, 2))).Images.Count);
    }

    [Fact]
    public void The_default_budget_admits_sixteen_1024_images_and_four_at_2048() =>
        Assert.Equal(16L * 1024 * 1024, new EngineOptions().MaxPixelsPerRequest);
}
