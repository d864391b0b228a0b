namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>Several step hooks in order (a ControlNet's, then an observer's that sees its residuals).</summary>
internal sealed class StepHooks(IReadOnlyList<IDenoiseStepHook> hooks) : IDenoiseStepHook
{
    public void BeforeUNet(DenoiseStep step)
    {
        foreach (var hook in hooks) hook.BeforeUNet(step);
    }

    public void AfterStep(DenoiseStep step)
    {
        foreach (var hook in hooks) hook.AfterStep(step);
    }
}
