using Gateway.Diffusion.Prompts;

namespace Gateway.Diffusion.Tests.Prompts;

public sealed class StylePresetTests
{
    private static readonly string[] StabilityNames =
    [
        "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art", "isometric",
        "line-art", "low-poly", "modeling-compound", "neon-punk", "origami", "photographic", "pixel-art", "tile-texture",
    ];

    [Fact]
    public void Every_stability_style_preset_is_offered_once()
    {
        Assert.Subset(StylePresets.Names.ToHashSet(), StabilityNames.ToHashSet());
        Assert.Equal(StylePresets.Names.Count, StylePresets.Names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Every_template_places_the_prompt_once_and_adds_a_negative()
    {
        foreach (var preset in StylePresets.All)
        {
            Assert.Equal(2, preset.PromptTemplate.Split(StylePreset.Placeholder).Length);
            Assert.False(string.IsNullOrWhiteSpace(preset.NegativePrompt), preset.Name);
        }
    }

    [Fact]
    public void The_prompt_goes_into_the_template()
    {
        var preset = new StylePreset("test", "pixel-art {prompt}, 8-bit", "blurry");
        Assert.Equal(("pixel-art a red fox, 8-bit", "blurry"), preset.Apply("  a red fox ", ""));
    }

    [Fact]
    public void The_negative_additions_follow_the_users_negative_prompt()
    {
        var preset = new StylePreset("test", "{prompt}", "blurry, noisy");
        Assert.Equal("text, watermark, blurry, noisy", preset.Apply("a fox", " text, watermark ").NegativePrompt);
    }

    [Fact]
    public void A_prompt_that_contains_the_placeholder_is_kept_as_written()
    {
        var preset = new StylePreset("test", "anime artwork of {prompt}", "");
        Assert.Equal("anime artwork of a sign saying {prompt}", preset.Apply("a sign saying {prompt}", "").Prompt);
    }

    [Theory]
    [InlineData("anime")]
    [InlineData("Pixel-Art")]
    [InlineData(" 3D-MODEL ")]
    public void Presets_are_found_ignoring_case_and_spaces(string name)
    {
        Assert.True(StylePresets.TryGet(name, out var preset));
        Assert.Equal(name.Trim(), preset.Name, ignoreCase: true);
    }

    [Theory]
    [InlineData("watercolor")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_names_are_not_found(string? name) => Assert.False(StylePresets.TryGet(name, out _));
}
