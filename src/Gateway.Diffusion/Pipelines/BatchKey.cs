using Gateway.Diffusion.Pipelines.Denoising;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Requests with equal keys can share UNet calls: same model and latent shape, same timesteps (steps, sampler, start
/// index), the same number of UNet rows per image (the guidance mode), the same refiner stage and the same LoRA set
/// (<see cref="Adapters.LoraSet.Key"/>; its weights are in the UNet's session), and the same ControlNet with the same
/// settings and control image (<see cref="Control.ControlPlan.Key"/>; one ControlNet call feeds the whole batch).
/// Prompts, seeds, guidance scales and init images differ freely.
/// </summary>
internal readonly record struct BatchKey(string Model, int Width, int Height, int Steps, string Sampler, GuidanceMode Guidance,
    int StartIndex, string? Refiner = null, int RefinerStart = 0, string Loras = "", string Control = "");
