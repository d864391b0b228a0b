namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Requests with equal keys can share UNet calls: same model and latent shape, same timesteps (steps, sampler, start
/// index) and the same number of UNet rows per image (guided or not). Prompts, seeds, guidance scales and images differ freely.
/// </summary>
internal readonly record struct BatchKey(string Model, int Width, int Height, int Steps, string Sampler, bool Guided, int StartIndex);
