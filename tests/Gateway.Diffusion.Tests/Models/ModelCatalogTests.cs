using Gateway.Diffusion.Models;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Models;

public sealed class ModelCatalogTests
{
    private const string Minimal = """
        { "models": [ { "id": "m", "family": "sd15", "native_size": "512x512", "default_steps": 20, "default_guidance": 7.5 } ] }
        """;

    [Fact]
    public void Committed_catalog_lists_the_tiny_models()
    {
        var catalog = ModelCatalog.Load(TestModels.Directory);
        Assert.True(catalog.TryGet("tiny-sd", out var tiny));
        Assert.Equal(ModelFamily.Sd15, tiny.Family);
        Assert.Equal(new ImageSize(512, 512), tiny.NativeSize);
        Assert.Equal(RenderMode.Exact, tiny.Render);
        Assert.True(Directory.Exists(tiny.Directory));
        Assert.True(catalog.TryGet("tiny-sd-fp16", out _));
    }

    [Fact]
    public void Missing_fields_take_defaults_and_folder_defaults_to_id()
    {
        var catalog = ModelCatalog.Parse(Minimal, "/models", "models.json");
        var entry = Assert.Single(catalog.Models);
        Assert.Equal(Path.GetFullPath("/models/m"), entry.Directory);
        Assert.Equal(RenderMode.NativeArea, entry.Render);
        Assert.Equal(1.0, entry.CreditMultiplier);
        Assert.Equal("", entry.DefaultSampler);
        Assert.Empty(entry.Autofill);
        Assert.Equal(2048, entry.MaxSide);
    }

    [Theory]
    [InlineData("\"family\": \"sd15\"", "\"family\": \"sd9\"", "field 'family'")]
    [InlineData("\"native_size\": \"512x512\"", "\"native_size\": \"big\"", "field 'native_size'")]
    [InlineData("\"default_steps\": 20", "\"default_steps\": 0", "field 'default_steps'")]
    [InlineData("\"default_guidance\": 7.5", "\"default_guidance\": 7.5, \"default_sampler\": \"Nope\"", "field 'default_sampler'")]
    [InlineData("\"default_guidance\": 7.5", "\"default_guidance\": 7.5, \"defualt_steps\": 3", "defualt_steps")]
    [InlineData("\"id\": \"m\"", "\"id\": \"bad id\"", "model id 'bad id'")]
    public void Invalid_entries_are_rejected_with_the_field_named(string find, string replace, string expected)
    {
        var json = Minimal.Replace(find, replace);
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse(json, "/models", "models.json"));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("models.json", error.Message);
    }

    [Fact]
    public void Duplicate_ids_are_rejected()
    {
        var json = """{ "models": [ { "id": "m", "family": "sd15", "native_size": "512x512", "default_steps": 20, "default_guidance": 7.5 }, { "id": "m", "family": "sd15", "native_size": "512x512", "default_steps": 20, "default_guidance": 7.5 } ] }""";
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse(json, "/models", "models.json"));
        Assert.Contains("listed twice", error.Message);
    }

    [Fact]
    public void Missing_required_field_and_bad_json_are_reported()
    {
        Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse("""{ "models": [ { "id": "m" } ] }""", "/m", "models.json"));
        Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse("{ not json", "/m", "models.json"));
        Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse("{}", "/m", "models.json"));
    }

    [Fact]
    public void Missing_catalog_file_names_the_path()
    {
        using var temp = new TempDirectory();
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Load(temp.Path));
        Assert.Contains(Path.Combine(temp.Path, "models.json"), error.Message);
    }

    [Theory]
    [InlineData("512x768", 512, 768)]
    [InlineData("1024X1024", 1024, 1024)]
    [InlineData(" 64x64 ", 64, 64)]
    public void Sizes_parse(string text, int width, int height) =>
        Assert.Equal(new ImageSize(width, height), ImageSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("512")]
    [InlineData("512x")]
    [InlineData("0x512")]
    [InlineData("-512x512")]
    [InlineData("512x512x3")]
    [InlineData("5e2x512")]
    public void Bad_sizes_do_not_parse(string text) => Assert.False(ImageSize.TryParse(text, out _));
}
