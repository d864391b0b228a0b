using System.Numerics.Tensors;

namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>
/// Inpainting as diffusers' <c>StableDiffusionInpaintPipeline</c> does it, on the one denoise loop. An SD-inpaint UNet
/// (whose sample rows have room after the latents) gets the mask and the masked image's latents on its extra channels
/// before every call. A plain UNet denoises freely, and after each step the latents outside the mask are replaced by
/// the original image noised to the next timestep's level (the clean image after the last step), so only the masked
/// area changes. Other hooks (<paramref name="inner"/>) run after it, so they see the whole sample and the blended latents.
/// </summary>
internal sealed class InpaintStepHook(IDenoiseStepHook? inner) : IDenoiseStepHook
{
    private float[] _noised = [];

    /// <summary>Writes the mask channels, then lets the other hooks add their inputs.</summary>
    public void BeforeUNet(DenoiseStep step)
    {
        WriteMaskChannels(step);
        inner?.BeforeUNet(step);
    }

    private static void WriteMaskChannels(DenoiseStep step)
    {
        var stepper = step.Stepper;
        if (stepper.SampleRowLength == stepper.RowLength) return;
        var rows = step.Guidance.RowsPerImage();
        foreach (var lane in step.Lanes)
        {
            if (lane.Inpainting is not { MaskedImageLatents: { } masked } inpainting)
                throw new InvalidOperationException("A lane of an SD-inpaint UNet has no mask inputs.");
            for (var r = 0; r < rows; r++)
            {
                stepper.WriteSampleExtra(inpainting.LatentMask, lane.FirstRow + r, 0);
                stepper.WriteSampleExtra(masked, lane.FirstRow + r, inpainting.LatentMask.Length);
            }
        }
    }

    /// <summary>Blends, then lets the other hooks see the latents as the step leaves them.</summary>
    public void AfterStep(DenoiseStep step)
    {
        if (step.Stepper.SampleRowLength == step.Stepper.RowLength)
        {
            foreach (var lane in step.Lanes)
                if (lane.Inpainting?.Blend is { } blend) Blend(lane, blend, step.Index);
        }
        inner?.AfterStep(step);
    }

    /// <summary>latents = noised + repaint · (latents − noised), noised being the image at evaluation <paramref name="index"/> + 1.</summary>
    internal void Blend(DenoiseLane lane, MaskedBlend blend, int index)
    {
        if (_noised.Length != blend.ImageLatents.Length) _noised = new float[blend.ImageLatents.Length];
        var next = index + 1;
        if (next < lane.Scheduler.Timesteps.Count) lane.Scheduler.AddNoise(blend.ImageLatents, blend.Noise, next, _noised);
        else blend.ImageLatents.CopyTo(_noised, 0);
        TensorPrimitives.Subtract(lane.Latents, _noised, lane.Latents);
        TensorPrimitives.MultiplyAdd(lane.Latents, blend.Repaint, _noised, lane.Latents);
    }
}
