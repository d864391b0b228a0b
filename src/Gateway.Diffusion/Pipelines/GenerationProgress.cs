namespace Gateway.Diffusion.Pipelines;

/// <summary>Denoising progress: <see cref="Step"/> of <see cref="Steps"/> UNet evaluations are done.</summary>
public readonly record struct GenerationProgress(int Step, int Steps);
