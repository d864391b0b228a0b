namespace Gateway.Diffusion.Prompts;

/// <summary>
/// The style presets every API dialect offers: Stability's <c>style_preset</c> names, with prompt wording in the manner of
/// the SDXL style templates that Fooocus and ComfyUI's prompt stylers popularised. Style words lead and follow the
/// subject because CLIP weighs early tokens most and truncates after 75.
/// </summary>
public static class StylePresets
{
    public static IReadOnlyList<StylePreset> All { get; } = Array.AsReadOnly<StylePreset>([
        new("3d-model",
            "professional 3d model of {prompt}, octane render, volumetric lighting, dramatic lighting, highly detailed",
            "ugly, deformed, noisy, low poly, blurry, painting"),
        new("analog-film",
            "analog film photo of {prompt}, faded film, desaturated, 35mm photo, film grain, vignette, vintage, Kodachrome",
            "painting, drawing, illustration, glitch, deformed, mutated, cross-eyed, ugly, disfigured"),
        new("anime",
            "anime artwork of {prompt}, anime style, key visual, vibrant, studio anime, highly detailed",
            "photo, photorealistic, realism, deformed, black and white, disfigured, low contrast"),
        new("cinematic",
            "cinematic film still of {prompt}, shallow depth of field, vignette, bokeh, high budget, cinemascope, moody, epic, film grain",
            "anime, cartoon, graphic, text, painting, crayon, graphite, abstract, glitch, deformed, mutated, ugly, disfigured"),
        new("comic-book",
            "comic book art of {prompt}, graphic illustration, graphic novel art, bold ink lines, vibrant, highly detailed",
            "photograph, photorealistic, deformed, glitch, noisy, realistic, stock photo"),
        new("digital-art",
            "concept art of {prompt}, digital artwork, illustrative, painterly, matte painting, highly detailed",
            "photo, photorealistic, realism, ugly"),
        new("enhance",
            "breathtaking {prompt}, award-winning, professional, highly detailed",
            "ugly, deformed, noisy, blurry, distorted, grainy"),
        new("fantasy-art",
            "ethereal fantasy concept art of {prompt}, magnificent, celestial, painterly, epic, majestic, magical, dreamy, cover art",
            "photographic, realistic, realism, 35mm film, dslr, cropped, frame, text, deformed, glitch, noisy, bad anatomy, ugly, disfigured"),
        new("isometric",
            "isometric style {prompt}, isometric view, vibrant, beautiful, crisp, intricate, ultra detailed",
            "deformed, mutated, ugly, disfigured, blurry, noisy, realistic, photographic"),
        new("line-art",
            "line art drawing of {prompt}, professional, sleek, modern, minimalist, graphic, clean lines, vector graphics",
            "anime, photorealistic, 35mm film, deformed, glitch, blurry, noisy, realism, shading, oil painting, acrylic"),
        new("low-poly",
            "low-poly style {prompt}, low-poly game art, polygon mesh, jagged, blocky, flat shading, centered composition",
            "noisy, sloppy, messy, grainy, highly detailed, ultra textured, photo"),
        new("modeling-compound",
            "play-doh style {prompt}, modeling clay sculpture, claymation, handmade, soft lighting, centered composition",
            "sloppy, messy, grainy, highly detailed, ultra textured, photo"),
        new("neon-punk",
            "neonpunk style {prompt}, cyberpunk, vaporwave, neon lights, vibrant, magenta highlights, dark purple shadows, high contrast, cinematic",
            "painting, drawing, illustration, glitch, deformed, mutated, cross-eyed, ugly, disfigured"),
        new("origami",
            "origami style {prompt}, paper art, pleated paper, folded paper, cut and fold, centered composition",
            "noisy, sloppy, messy, grainy, highly detailed, ultra textured, photo"),
        new("photographic",
            "cinematic photo of {prompt}, 35mm photograph, film, bokeh, professional, 4k, highly detailed",
            "drawing, painting, crayon, sketch, graphite, impressionist, noisy, blurry, soft, deformed, ugly"),
        new("pixel-art",
            "pixel-art {prompt}, low-res, blocky, pixel art style, 8-bit graphics, limited palette",
            "sloppy, messy, blurry, noisy, highly detailed, ultra textured, photo, realistic"),
        new("tile-texture",
            "seamless tileable texture of {prompt}, top down view, flat lighting, repeating pattern, highly detailed",
            "ugly, deformed, noisy, blurry, perspective, vignette, shadows, text"),
    ]);

    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(All.Select(p => p.Name).ToArray());

    /// <summary>Finds a preset by name, ignoring case.</summary>
    public static bool TryGet(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StylePreset? preset)
    {
        preset = All.FirstOrDefault(p => p.Name.Equals(name?.Trim(), StringComparison.OrdinalIgnoreCase));
        return preset is not null;
    }
}
