using Gateway.Diffusion.Models;
using Gateway.Diffusion.Schedulers;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Models;

public sealed class SdxlCatalogTests
{
    private static string Catalog(string baseExtra = "", string baseFamily = "sdxl10", string refinerFamily = "sdxl-refiner") => $$"""
        { "models": [
          { "id": "xl", "family": "{{baseFamily}}", "native_size": "1024x1024", "default_steps": 20, "default_guidance": 5{{baseExtra}} },
          { "id": "ref", "family": "{{refinerFamily}}", "native_size": "1024x1024", "default_steps": 20, "default_guidance": 5 } ] }
        """;

    [Fact]
    public void The_committed_catalog_serves_the_sdxl_family()
    {
        var catalog = ModelCatalog.Load(TestModels.Directory);
        Assert.True(catalog.TryGet("tiny-sdxl", out var xl));
        Assert.Equal(ModelFamily.Sdxl10, xl.Family);
        Assert.Equal("tiny-sdxl-refiner", xl.Refiner);
        Assert.Equal(0.8, xl.HighNoiseFraction);
        Assert.True(catalog.TryGet("tiny-sdxl-turbo", out var turbo));
        Assert.Equal((ModelFamily.SdxlTurbo, "Euler a", TimestepSpacing.Trailing, 0.0), (turbo.Family, turbo.DefaultSampler, turbo.TimestepSpacing, turbo.DefaultGuidance));
        Assert.Equal(xl.Directory, turbo.Directory);
        Assert.True(catalog.TryGet("tiny-sdxl-refiner", out var refiner));
        Assert.Equal(PipelineKind.StableDiffusionXlRefiner, refiner.Family.Pipeline());
    }

    [Theory]
    [InlineData("sdxl10", PipelineKind.StableDiffusionXl)]
    [InlineData("sdxl-turbo", PipelineKind.StableDiffusionXl)]
    [InlineData("ssd-1b", PipelineKind.StableDiffusionXl)]
    [InlineData("compositexl", PipelineKind.StableDiffusionXl)]
    [InlineData("sdxl-refiner", PipelineKind.StableDiffusionXlRefiner)]
    [InlineData("sd15", PipelineKind.StableDiffusion)]
    [InlineData("lcm", PipelineKind.StableDiffusion)]
    public void Each_family_has_its_pipeline(string family, PipelineKind pipeline)
    {
        Assert.True(ModelFamilies.TryParse(family, out var parsed));
        Assert.Equal(pipeline, parsed.Pipeline());
    }

    [Fact]
    public void A_base_names_its_refiner_and_fraction()
    {
        var catalog = ModelCatalog.Parse(Catalog(""", "refiner": "ref", "high_noise_frac": 0.7, "clip_skip": 1"""), "/m", "models.json");
        Assert.True(catalog.TryGet("xl", out var xl));
        Assert.Equal(("ref", 0.7, 1), (xl.Refiner, xl.HighNoiseFraction, xl.ClipSkip));
    }

    [Theory]
    [InlineData(""", "refiner": "nobody" """, "sdxl10", "sdxl-refiner", "no model 'nobody'")]
    [InlineData(""", "refiner": "ref" """, "sdxl10", "sdxl10", "'ref' is sdxl10, not sdxl-refiner")]
    [InlineData(""", "refiner": "ref" """, "sd15", "sdxl-refiner", "only SDXL base models")]
    [InlineData(""", "high_noise_frac": 1.0""", "sdxl10", "sdxl-refiner", "field 'high_noise_frac'")]
    [InlineData(""", "clip_skip": 2""", "sd15", "sdxl-refiner", "field 'clip_skip'")]
    [InlineData(""", "timestep_spacing": "sideways" """, "sdxl10", "sdxl-refiner", "field 'timestep_spacing'")]
    public void Bad_sdxl_fields_are_named(string extra, string baseFamily, string refinerFamily, string expected)
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse(Catalog(extra, baseFamily, refinerFamily), "/m", "models.json"));
        Assert.Contains(expected, error.Message);
    }
}
