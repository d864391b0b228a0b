namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// Feeds extra UNet inputs at each step (ControlNet residuals, computed from the step's scaled latents, timestep and
/// conditioning; an SD-inpaint UNet's mask channels): <see cref="BeforeUNet"/> runs after the step's sample rows are
/// written and before the UNet runs. <see cref="AfterStep"/> runs once every lane has taken its scheduler step, for
/// hooks that constrain the new latents (masked image-to-image).
/// </summary>
internal interface IDenoiseStepHook
{
    void BeforeUNet(DenoiseStep step);

    void AfterStep(DenoiseStep step)
    {
    }
}

/// <summary>One step of the loop as a hook sees it: evaluation <paramref name="Index"/> at <paramref name="Timestep"/>,
/// the bound UNet tensors, and the lanes in the batch in row order.</summary>
internal readonly record struct DenoiseStep(int Index, float Timestep, DenoiserStepper Stepper, IReadOnlyList<DenoiseLane> Lanes, GuidanceMode Guidance);
