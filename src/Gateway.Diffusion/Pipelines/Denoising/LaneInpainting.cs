namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>What one lane of an inpainting run holds for <see cref="InpaintStepHook"/>.</summary>
/// <param name="LatentMask">[h·w] on the latent grid: 1 where the lane repaints, 0 where it keeps.</param>
/// <param name="MaskedImageLatents">For an SD-inpaint UNet: the scaled VAE latents [channels·h·w] of the image with its
/// repainted pixels cleared; null for a plain UNet.</param>
/// <param name="Blend">For masked image-to-image (a mask on a plain UNet, or the refiner after an inpaint UNet); null when
/// the lane repaints everything.</param>
internal sealed record LaneInpainting(float[] LatentMask, float[]? MaskedImageLatents, MaskedBlend? Blend);

/// <summary>Masked image-to-image in the denoiser's latent layout: the clean image latents, the lane's initial noise that
/// re-noises them each step, and the repaint mask spread over every latent element.</summary>
internal sealed record MaskedBlend(float[] ImageLatents, float[] Noise, float[] Repaint);
