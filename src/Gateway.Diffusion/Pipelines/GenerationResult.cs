using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Pipelines;

public sealed record GeneratedImage(PixelImage Image, ulong Seed);

/// <summary>Where the time of one generation went; <see cref="InsideOnnx"/> is the sum of all session runs.</summary>
public sealed record GenerationTimings(TimeSpan TextEncoding, TimeSpan Denoising, TimeSpan Decoding, TimeSpan InsideOnnx, TimeSpan Total);

public sealed record GenerationResult
{
    public required IReadOnlyList<GeneratedImage> Images { get; init; }
    public required int Steps { get; init; }
    public required double Guidance { get; init; }
    public required string Sampler { get; init; }
    /// <summary>Things the client should know but that did not stop the generation, e.g. a truncated prompt.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>The run's timings, shared by every request batched into it.</summary>
    public required GenerationTimings Timings { get; init; }
    /// <summary>Images denoised together in the run that made these (this request's and others').</summary>
    public int BatchSize { get; init; } = 1;
    /// <summary>How a masked request was inpainted; null without a mask.</summary>
    public InpaintMethod? Inpainting { get; init; }
}

/// <summary>The two ways the engine inpaints.</summary>
public enum InpaintMethod
{
    /// <summary>An SD-inpaint export's 9-channel UNet, given the mask and the masked image's latents each step.</summary>
    InpaintModel,
    /// <summary>A plain UNet, with the noised original blended back outside the mask after every step (diffusers'
    /// path for 4-channel UNets).</summary>
    MaskedImageToImage,
}
