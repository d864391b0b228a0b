namespace Gateway.Diffusion.Models;

/// <summary>The families named in models.json; they decide which pipeline and defaults a model gets.</summary>
public enum ModelFamily
{
    Sd15,
    Sd2,
    Sdxl10,
    SdxlTurbo,
    /// <summary>Segmind's distilled SDXL: SDXL's I/O exactly, fewer UNet blocks.</summary>
    SsdOneB,
    /// <summary>The SDXL refiner: text_encoder_2 only, aesthetic-score time ids; runs after an SDXL base.</summary>
    SdxlRefiner,
    Lcm,
    Composite15,
    CompositeXl,
    /// <summary>FLUX.1-schnell: the timestep-distilled Flux transformer, no guidance.</summary>
    FluxSchnell,
    /// <summary>FLUX.1-dev: the guidance-distilled Flux transformer, guidance as an embedded input.</summary>
    FluxDev,
    /// <summary>An SD 1.5 inpainting export: a 9-channel UNet (latents ‖ mask ‖ masked-image latents).</summary>
    Sd15Inpaint,
    /// <summary>An SDXL inpainting export: SDXL's conditioning and a 9-channel UNet.</summary>
    SdxlInpaint,
}

/// <summary>The pipeline that runs a family: what conditions the UNet and how.</summary>
public enum PipelineKind
{
    /// <summary>SD 1.x / 2.x: one CLIP encoder's last hidden state.</summary>
    StableDiffusion,
    /// <summary>SDXL base: two CLIP encoders' penultimate states, a pooled embedding and size time ids.</summary>
    StableDiffusionXl,
    /// <summary>SDXL refiner: the second CLIP encoder only, with aesthetic-score time ids.</summary>
    StableDiffusionXlRefiner,
    /// <summary>Flux: a transformer on packed latents, CLIP-L's pooled embedding and T5's hidden states, flow matching.</summary>
    Flux,
}

public static class ModelFamilies
{
    private static readonly Dictionary<string, ModelFamily> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sd15"] = ModelFamily.Sd15,
        ["sd2"] = ModelFamily.Sd2,
        ["sdxl10"] = ModelFamily.Sdxl10,
        ["sdxl-turbo"] = ModelFamily.SdxlTurbo,
        ["ssd-1b"] = ModelFamily.SsdOneB,
        ["sdxl-refiner"] = ModelFamily.SdxlRefiner,
        ["lcm"] = ModelFamily.Lcm,
        ["composite15"] = ModelFamily.Composite15,
        ["compositexl"] = ModelFamily.CompositeXl,
        ["flux-schnell"] = ModelFamily.FluxSchnell,
        ["flux-dev"] = ModelFamily.FluxDev,
        ["sd15-inpaint"] = ModelFamily.Sd15Inpaint,
        ["sdxl-inpaint"] = ModelFamily.SdxlInpaint,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryParse(string? name, out ModelFamily family) => ByName.TryGetValue(name ?? "", out family);

    public static string ToName(this ModelFamily family) => ByName.First(pair => pair.Value == family).Key;

    public static PipelineKind Pipeline(this ModelFamily family) => family switch
    {
        ModelFamily.Sdxl10 or ModelFamily.SdxlTurbo or ModelFamily.SsdOneB or ModelFamily.CompositeXl or ModelFamily.SdxlInpaint =>
            PipelineKind.StableDiffusionXl,
        ModelFamily.SdxlRefiner => PipelineKind.StableDiffusionXlRefiner,
        ModelFamily.FluxSchnell or ModelFamily.FluxDev => PipelineKind.Flux,
        _ => PipelineKind.StableDiffusion,
    };

    /// <summary>SDXL-class families: two text encoders (or the refiner's second one) and size conditioning.</summary>
    public static bool IsXl(this ModelFamily family) =>
        family.Pipeline() is PipelineKind.StableDiffusionXl or PipelineKind.StableDiffusionXlRefiner;

    /// <summary>SD-inpaint families: a UNet that takes the mask and the masked image's latents with the latents.</summary>
    public static bool IsInpainting(this ModelFamily family) => family is ModelFamily.Sd15Inpaint or ModelFamily.SdxlInpaint;

    /// <summary>Flux families: flow matching on packed latents, no classifier-free guidance, no negative prompt.</summary>
    public static bool IsFlux(this ModelFamily family) => family.Pipeline() == PipelineKind.Flux;

    /// <summary>The VAE latent scale when the export's config does not state one (diffusers' defaults).</summary>
    public static float DefaultVaeScalingFactor(this ModelFamily family) =>
        family.IsFlux() ? 0.3611f : family.IsXl() ? 0.13025f : 0.18215f;
}
