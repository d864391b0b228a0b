using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Tests.Models;

public sealed class RenderSizePlannerTests
{
    private static readonly ImageSize Sd15 = new(512, 512);
    private static readonly ImageSize Sdxl = new(1024, 1024);

    [Theory]
    [InlineData(1024, 1024, 512, 512)]
    [InlineData(1344, 768, 704, 384)]
    [InlineData(768, 1344, 384, 704)]
    [InlineData(1536, 640, 768, 320)]
    [InlineData(640, 1536, 320, 768)]
    [InlineData(832, 1216, 448, 640)]
    [InlineData(1216, 832, 640, 448)]
    [InlineData(896, 1088, 448, 576)]
    [InlineData(1088, 896, 576, 448)]
    [InlineData(768, 512, 576, 384)]
    [InlineData(256, 256, 512, 512)]
    public void Native_area_models_render_at_their_area_in_the_requested_ratio(int width, int height, int renderWidth, int renderHeight)
    {
        var planned = RenderSizePlanner.Plan(RenderMode.NativeArea, Sd15, 2048, new ImageSize(width, height));
        Assert.Equal(new ImageSize(renderWidth, renderHeight), planned);
        Assert.Equal(0, planned.Width % 64);
        Assert.Equal(0, planned.Height % 64);
    }

    [Theory]
    [InlineData(1344, 768)]
    [InlineData(1536, 640)]
    [InlineData(832, 1216)]
    [InlineData(1024, 1024)]
    public void A_model_whose_area_the_size_already_has_renders_it_as_asked(int width, int height) =>
        Assert.Equal(new ImageSize(width, height), RenderSizePlanner.Plan(RenderMode.NativeArea, Sdxl, 2048, new ImageSize(width, height)));

    [Fact]
    public void Exact_models_render_the_requested_size() =>
        Assert.Equal(new ImageSize(1344, 768), RenderSizePlanner.Plan(RenderMode.Exact, Sd15, 2048, new ImageSize(1344, 768)));

    [Fact]
    public void Render_sides_stay_within_the_max_side()
    {
        var planned = RenderSizePlanner.Plan(RenderMode.NativeArea, new ImageSize(1024, 1024), 1100, new ImageSize(1024, 64));
        Assert.Equal(1088, planned.Width);
        Assert.Equal(256, planned.Height);
    }

    [Theory]
    [InlineData(1536, 640, 1024)]
    [InlineData(32, 512, 2048)]
    public void Sizes_beyond_the_limits_are_refused_naming_size(int width, int height, int maxSide)
    {
        var error = Assert.Throws<InvalidGenerationRequestException>(() =>
            RenderSizePlanner.Plan(RenderMode.Exact, Sd15, maxSide, new ImageSize(width, height)));
        Assert.Equal("size", error.Param);
        Assert.Contains(maxSide.ToString(), error.Message);
    }

    [Fact]
    public void The_catalog_entry_overload_uses_the_entry_settings()
    {
        var entry = new ModelCatalogEntry
        {
            Id = "m", Directory = "/m", Family = ModelFamily.Sd15, NativeSize = Sd15, DefaultSteps = 20, DefaultGuidance = 7.5,
            MaxSide = 1024, Render = RenderMode.NativeArea,
        };
        Assert.Equal(new ImageSize(512, 512), RenderSizePlanner.Plan(entry, new ImageSize(1024, 1024)));
        Assert.Throws<InvalidGenerationRequestException>(() => RenderSizePlanner.Plan(entry, new ImageSize(1344, 768)));
    }
}
