using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Denoising;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Control;

/// <summary>
/// Runs a ControlNet before each UNet call of a run, on every row of the batch (both halves under classifier-free
/// guidance, as diffusers does without guess mode), so the UNet gets its residuals. Steps outside
/// control_guidance_start / _end get zero residuals instead (diffusers' <c>controlnet_keep</c>).
/// </summary>
/// <param name="map">The control map, planar [3, height, width] in [0, 1].</param>
/// <param name="first">The run's first evaluation index; <paramref name="count"/> evaluations follow.</param>
internal sealed class ControlNetStepHook(ControlNetModel net, float[] map, double scale, double guidanceStart, double guidanceEnd,
    int first, int count, RunOptions runOptions, OnnxClock clock) : IDenoiseStepHook
{
    private DenoiserStepper? _unet;
    private ControlNetStepper? _stepper;
    private bool? _wasActive;

    public void BeforeUNet(DenoiseStep step)
    {
        if (!ReferenceEquals(step.Stepper, _unet))
        {
            _unet = step.Stepper;
            _stepper = net.Stepper(step.Stepper);
            _stepper.SetControl(map, scale);
            _wasActive = null;
        }
        var active = IsActive(step.Index - first, count, guidanceStart, guidanceEnd);
        if (active) _stepper!.Run(step.Timestep, runOptions, clock);
        else if (_wasActive != false) _stepper!.Silence(step.Timestep, runOptions, clock);
        _wasActive = active;
    }

    /// <summary>diffusers: step i of n steers unless i / n &lt; start or (i + 1) / n &gt; end.</summary>
    public static bool IsActive(int index, int count, double start, double end) =>
        !((double)index / count < start || (double)(index + 1) / count > end);
}
