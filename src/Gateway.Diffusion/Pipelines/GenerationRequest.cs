using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// One generation as every API dialect and the CLI describe it to the engine. Null optional values take the
/// model's defaults from models.json.
/// </summary>
public sealed record GenerationRequest
{
    public required string Model { get; init; }
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    /// <summary>SDXL: the prompt of the second text encoder (OpenCLIP bigG); null uses <see cref="Prompt"/>.</summary>
    public string? Prompt2 { get; init; }
    /// <summary>SDXL: the negative prompt of the second text encoder; null uses <see cref="NegativePrompt"/>.</summary>
    public string? NegativePrompt2 { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public int? Steps { get; init; }
    public double? Guidance { get; init; }
    /// <summary>A scheduler name the <see cref="Schedulers.SchedulerFactory"/> knows; null for the model's default.</summary>
    public string? Sampler { get; init; }
    /// <summary>Seed of the first image; image <c>i</c> uses <c>Seed + i</c>, so each can be reproduced alone.</summary>
    public required ulong Seed { get; init; }
    public int ImageCount { get; init; } = 1;
    /// <summary>Set for image-to-image.</summary>
    public InitImage? InitImage { get; init; }
    /// <summary>SDXL: finish with the model's refiner (models.json <c>refiner</c>), which denoises the last part of the
    /// schedule after the base (<c>high_noise_frac</c>).</summary>
    public bool UseRefiner { get; init; }
    /// <summary>LoRAs (models.json <c>loras</c> ids) and their weights (−2 … 2; 0 leaves the model as it is), at most 5.</summary>
    public IReadOnlyDictionary<string, double>? Loras { get; init; }
}

/// <summary>The starting picture of image-to-image; <paramref name="Strength"/> 0 keeps it, 1 replaces it.</summary>
public sealed record InitImage(PixelImage Image, double Strength)
{
    /// <summary>Set for inpainting: where to repaint, the image's size. The model's SD-inpaint export (models.json
    /// <c>inpainting_for</c>) runs it when the catalog has one, else masked image-to-image.</summary>
    public InpaintMask? Mask { get; init; }
}
