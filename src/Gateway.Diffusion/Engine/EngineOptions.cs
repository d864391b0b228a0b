using Gateway.Diffusion.Onnx;

namespace Gateway.Diffusion.Engine;

public sealed record EngineOptions
{
    /// <summary>The folder with models.json and one export folder per model.</summary>
    public string ModelsDirectory { get; init; } = "onnx-models";

    public OnnxOptions Onnx { get; init; } = new();

    /// <summary>Generations that may wait (not counting the one running); more are refused with <see cref="QueueFullException"/>.</summary>
    public int MaxQueueLength { get; init; } = 64;

    /// <summary>Most images denoised together in one run; compatible waiting requests (same model, size, steps,
    /// sampler) join the run up to this. 1 turns batching off. Null: 8 on CUDA, 1 on the CPU, where a bigger UNet
    /// batch measured no faster per image while running requests one by one lets encoding overlap the next run.</summary>
    public int? MaxBatchImages { get; init; }

    /// <summary>How long the worker waits for compatible requests to arrive before starting a run that has room.
    /// Zero batches only what is already waiting, which never delays a lone request.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.Zero;

    /// <summary>The most pixels one request may render (width × height × images): what bounds a request's memory,
    /// which grows with every image's latents, decoded pixels and encoded output. The default admits every request the
    /// dialects allow at 1024² (16 images) and 4 images at 2048².</summary>
    public long MaxPixelsPerRequest { get; init; } = DefaultMaxPixelsPerRequest;

    public const long DefaultMaxPixelsPerRequest = 16L * 1024 * 1024;

    /// <summary>Tile edge in pixels for VAE decoding and encoding of images larger than it (a multiple of 32, at least
    /// 64; as diffusers' <c>enable_vae_tiling</c>, whose tile is the VAE's <c>sample_size</c>: 512 for SD 1.5, 1024 for
    /// SDXL). Bounds the VAE's memory whatever the image size. Null: whole images, as diffusers does by default.</summary>
    public int? VaeTileSize { get; init; }

    /// <summary>A multiple of 32 (the overlaps then fall on whole latents and the crops add up to the image), at least 64.</summary>
    public static bool IsValidVaeTileSize(int size) => size >= 64 && size % 32 == 0;

    /// <summary>LoRA sets kept prepared (each holds its own UNet and changed text-encoder sessions); the least recently
    /// used one beyond this is released.</summary>
    public int MaxLoraVariants { get; init; } = 2;

    /// <summary>The catalog models <see cref="DiffusionEngine.LoadAll"/> loads (with the refiners and SD-inpaint exports
    /// they name); null loads every one. A node of a cluster serves only what it loads.</summary>
    public IReadOnlySet<string>? LoadModels { get; init; }
}
