namespace Gateway.Diffusion.Models;

/// <summary>One ControlNet of models.json's <c>controlnets</c>: a separate ControlNet export that runs beside a model's
/// ControlNet UNet (<see cref="ControlNetSupport"/>).</summary>
public sealed record ControlNetCatalogEntry
{
    public required string Id { get; init; }
    /// <summary>Absolute path of the folder holding <c>model.onnx</c>.</summary>
    public required string Directory { get; init; }
    /// <summary><c>sd15</c> or <c>sdxl</c>: the base family it was trained on.</summary>
    public required string Family { get; init; }
    /// <summary>What turns a photo into its control map: <c>canny</c>, an annotator id (<c>depth</c>, <c>openpose</c>,
    /// <c>softedge</c>, …) or <c>none</c> (the control image is the map).</summary>
    public required string Preprocessor { get; init; }
    /// <summary>The conditioning scale when a request names none.</summary>
    public double DefaultScale { get; init; } = 1.0;
    public string Description { get; init; } = "";

    /// <summary>The catalog families whose ControlNet UNet this ControlNet feeds.</summary>
    public IReadOnlyList<ModelFamily> AppliesTo => Family == CatalogControlNets.SdxlFamily
        ? [ModelFamily.Sdxl10, ModelFamily.SdxlTurbo, ModelFamily.SsdOneB]
        : [ModelFamily.Sd15];

    public bool AppliesToFamily(ModelFamily family) => AppliesTo.Contains(family);
}

/// <summary>A control-image annotator of models.json's <c>annotators</c>: an ONNX model from an image in [0, 1] to its
/// control map (OnnxStack's feature-extractor contract).</summary>
public sealed record AnnotatorCatalogEntry
{
    public required string Id { get; init; }
    /// <summary>Absolute path of the <c>.onnx</c> file.</summary>
    public required string File { get; init; }
    /// <summary>The square side the model takes, when it takes one size only (e.g. 512); 0: the image's own size.</summary>
    public int SampleSize { get; init; }
    /// <summary>Stretch the output to [0, 1] (depth models output unnormalised inverse depth).</summary>
    public bool NormalizeOutput { get; init; }
    public string Description { get; init; } = "";
}

/// <summary>A model's ControlNet support (models.json <c>controlnet</c>): the folder of its ControlNet UNet (the
/// usual UNet inputs plus the residual inputs), and optionally an alias id that means "this model with
/// <see cref="DefaultControlNet"/>" (Hyperbolic's <c>SD1.5-ControlNet</c>).</summary>
public sealed record ControlNetSupport(string UNetFolder, string? Alias, string? DefaultControlNet);
