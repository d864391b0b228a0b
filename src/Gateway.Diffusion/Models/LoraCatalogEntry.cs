namespace Gateway.Diffusion.Models;

/// <summary>The model families a LoRA was trained on, as models.json's <c>loras[].family</c> names them.</summary>
public enum LoraFamily
{
    /// <summary>SD 1.x UNet and CLIP-L (also LCM and composite15 models built on SD 1.5).</summary>
    Sd15,
    /// <summary>SDXL base UNet and its two text encoders (also SDXL-Turbo and compositexl models).</summary>
    Sdxl,
}

/// <summary>One LoRA file listed in models.json's <c>loras</c> (the file itself lives under <c>loras/</c>).</summary>
public sealed record LoraCatalogEntry
{
    public required string Id { get; init; }
    /// <summary>Absolute path of the safetensors file.</summary>
    public required string File { get; init; }
    public required LoraFamily Family { get; init; }
    public double DefaultWeight { get; init; } = 1.0;
    /// <summary>Trigger words a composite model built on this LoRA puts in front of prompts that lack them.</summary>
    public IReadOnlyList<string> Autofill { get; init; } = [];
    public IReadOnlyList<string> Recommend { get; init; } = [];
    public string Description { get; init; } = "";

    /// <summary>The catalog families this LoRA applies to.</summary>
    public IReadOnlyList<ModelFamily> AppliesTo => Family == LoraFamily.Sdxl
        ? [ModelFamily.Sdxl10, ModelFamily.SdxlTurbo, ModelFamily.CompositeXl]
        : [ModelFamily.Sd15, ModelFamily.Lcm, ModelFamily.Composite15];

    public bool AppliesToFamily(ModelFamily family) => AppliesTo.Contains(family);

    public static string FamilyName(LoraFamily family) => family == LoraFamily.Sdxl ? "sdxl" : "sd15";
}

/// <summary>A composite model's base model and LoRA (models.json <c>base</c>, <c>lora</c>, <c>lora_weight</c>).</summary>
public sealed record CompositeOf(string Base, string Lora, double Weight);
