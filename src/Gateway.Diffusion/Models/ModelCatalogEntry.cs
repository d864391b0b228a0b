namespace Gateway.Diffusion.Models;

/// <summary>How a model meets sizes other than its native one.</summary>
public enum RenderMode
{
    /// <summary>Render at the requested size.</summary>
    Exact,
    /// <summary>Render at the model's native pixel area in the requested aspect ratio, then resize.</summary>
    NativeArea,
}

/// <summary>One served model as models.json describes it.</summary>
public sealed record ModelCatalogEntry
{
    public required string Id { get; init; }
    /// <summary>Absolute path of the export folder.</summary>
    public required string Directory { get; init; }
    public required ModelFamily Family { get; init; }
    public required ImageSize NativeSize { get; init; }
    /// <summary>Sizes the model declares besides the API dialects' own lists.</summary>
    public IReadOnlyList<ImageSize> ExtraSizes { get; init; } = [];
    /// <summary>Largest width or height accepted, in pixels.</summary>
    public int MaxSide { get; init; } = 2048;
    public RenderMode Render { get; init; } = RenderMode.NativeArea;
    public required int DefaultSteps { get; init; }
    public required double DefaultGuidance { get; init; }
    /// <summary>Scheduler name; empty means the export's own scheduler_config.json class.</summary>
    public string DefaultSampler { get; init; } = "";
    public double CreditMultiplier { get; init; } = 1.0;
    /// <summary>Trigger words added to a prompt that lacks them.</summary>
    public IReadOnlyList<string> Autofill { get; init; } = [];
    /// <summary>Trigger words suggested to users.</summary>
    public IReadOnlyList<string> Recommend { get; init; } = [];
    public string Description { get; init; } = "";

    /// <summary>The id of an <c>sdxl-refiner</c> model that finishes this model's images when a request asks for it.</summary>
    public string? Refiner { get; init; }

    /// <summary>For an SD-inpaint model: the id of the model whose masked edits it runs (models.json <c>inpainting_for</c>).</summary>
    public string? InpaintingFor { get; init; }

    /// <summary>With the refiner: the fraction of the schedule the base denoises (diffusers' <c>denoising_end</c>);
    /// the refiner runs the rest of the same timesteps.</summary>
    public double HighNoiseFraction { get; init; } = 0.8;

    /// <summary>How many final CLIP layers to skip (SDXL's penultimate-layer rule counts as 0).</summary>
    public int ClipSkip { get; init; }

    /// <summary>The refiner's aesthetic-score conditioning for the positive and the negative half (diffusers' defaults).</summary>
    public double AestheticScore { get; init; } = 6.0;

    public double NegativeAestheticScore { get; init; } = 2.5;

    /// <summary>Overrides the export's <c>timestep_spacing</c> (e.g. <c>trailing</c> for SDXL-Turbo served from an SDXL folder).</summary>
    public Schedulers.TimestepSpacing? TimestepSpacing { get; init; }

    /// <summary><c>cpu</c> or <c>cuda</c> for this model's sessions; null: the server's <c>Gateway:ExecutionProvider</c>.</summary>
    public string? ExecutionProvider { get; init; }

    /// <summary>For <c>composite15</c> / <c>compositexl</c>: the base model whose sessions serve it and the LoRA it adds.</summary>
    public CompositeOf? Composite { get; init; }
}
