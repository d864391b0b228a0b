namespace Gateway.Diffusion.Models;

/// <summary>The families named in models.json; they decide which pipeline and defaults a model gets.</summary>
public enum ModelFamily
{
    Sd15,
    Sd2,
    Sdxl10,
    SdxlTurbo,
    Lcm,
    Composite15,
    CompositeXl,
}

public static class ModelFamilies
{
    private static readonly Dictionary<string, ModelFamily> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sd15"] = ModelFamily.Sd15,
        ["sd2"] = ModelFamily.Sd2,
        ["sdxl10"] = ModelFamily.Sdxl10,
        ["sdxl-turbo"] = ModelFamily.SdxlTurbo,
        ["lcm"] = ModelFamily.Lcm,
        ["composite15"] = ModelFamily.Composite15,
        ["compositexl"] = ModelFamily.CompositeXl,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryParse(string? name, out ModelFamily family) => ByName.TryGetValue(name ?? "", out family);

    public static string ToName(this ModelFamily family) => ByName.First(pair => pair.Value == family).Key;

    /// <summary>SDXL-class families use two text encoders and size conditioning.</summary>
    public static bool IsXl(this ModelFamily family) =>
        family is ModelFamily.Sdxl10 or ModelFamily.SdxlTurbo or ModelFamily.CompositeXl;

    /// <summary>The VAE latent scale when the export's config does not state one (diffusers' defaults).</summary>
    public static float DefaultVaeScalingFactor(this ModelFamily family) => family.IsXl() ? 0.13025f : 0.18215f;
}
