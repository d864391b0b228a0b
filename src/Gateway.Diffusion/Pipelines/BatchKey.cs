using Gateway.Diffusion.Pipelines.Denoising;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Requests with equal keys can share UNet calls: same model and latent shape, same timesteps (steps, sampler, start
/// index), the same number of UNet rows per image (the guidance mode), the same refiner stage and the same LoRA set
/// (<see cref="Adapters.LoraSet.Key"/>; its weights are in the UNet's session). Prompts, seeds, guidance scales and
/// images differ freely.
/// </summary>
internal readonly record struct BatchKey(string Model, int Width, int Height, int Steps, string Sampler, GuidanceMode Guidance,
    int StartIndex, string? Refiner = null, int RefinerStart = 0, string Loras = "");
