using System.Diagnostics;
using System.Numerics.Tensors;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Conditioning;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Pipelines.Vae;
using Gateway.Diffusion.Schedulers;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Text-to-image, image-to-image and inpainting for every family: text conditioning → initial latents → the denoise loop
/// (the base model, then the refiner when asked) → VAE decode → pixels. A run serves a batch of requests that share a
/// <see cref="BatchKey"/>: every image of every request is a lane, and each step is one UNet call over all lanes.
/// Each lane keeps its own prompt, seed, noise stream, scheduler and guidance, so its pixels are the same as when it
/// runs alone.
/// </summary>
internal static class GenerationRun
{
    /// <summary>Runs the batch; a member cancelled mid-run leaves the batch and gets null, the others go on.
    /// Throws <see cref="OperationCanceledException"/> when every member is cancelled.</summary>
    public static GenerationResult?[] Run(LoadedModel model, IReadOnlyList<BatchMember> members, IDenoiseStepHook? hook = null)
    {
        var total = Stopwatch.StartNew();
        using var runOptions = new RunOptions();
        using var allCancelled = new CancellationTokenSource();
        var live = members.Count;
        var registrations = members.Select(m => m.Token.Register(() =>
        {
            // Only when nobody is left does the call in flight stop: the others still want its result.
            if (Interlocked.Decrement(ref live) != 0) return;
            runOptions.Terminate = true;
            allCancelled.Cancel();
        })).ToList();
        try
        {
            return RunBatch(model, members, runOptions, allCancelled.Token, total, hook);
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }

    private static GenerationResult?[] RunBatch(LoadedModel model, IReadOnlyList<BatchMember> members, RunOptions runOptions,
        CancellationToken cancellationToken, Stopwatch total, IDenoiseStepHook? hook)
    {
        var onnx = new OnnxClock(cancellationToken);
        var first = members[0].Resolved;
        var key = first.Key;
        var refiner = first.Refiner;

        var textStart = total.Elapsed;
        var warnings = members.Select(_ => new List<string>()).ToArray();
        var baseText = Condition(model, members, warnings, runOptions, onnx);
        var refinerText = refiner is null ? null : Condition(refiner.Model, members, warnings, runOptions, onnx);
        var textTime = total.Elapsed - textStart;

        var lanes = new List<DenoiseLane>();
        foreach (var member in members) lanes.AddRange(CreateLanes(model, member, runOptions, onnx));
        if (lanes.Exists(l => l.Inpainting is not null)) hook = new InpaintStepHook(hook);

        var denoiseStart = total.Elapsed;
        var context = new DenoiseContext(first.Mode, key.Height / 8, key.Width / 8, model.Text.SequenceLength, runOptions, onnx,
            new StepProgress(first.Evaluations, Math.Max(0, first.Timesteps - first.Steps)), hook, cancellationToken)
        {
            Previewer = new StagePreviewer(model, key, runOptions, onnx),
        };
        SetStage(lanes, model, baseText, schedule: null, key);
        DenoiseLoop.Run(new DenoiseStage(model.UNet, first.Start, first.End), lanes, context);
        var decoder = model;
        if (refiner is not null)
        {
            SetStage(lanes, refiner.Model, refinerText!, refiner.Schedule, key);
            DenoiseLoop.Run(new DenoiseStage(refiner.Model.UNet, refiner.Start, refiner.Timesteps), lanes,
                context with
                {
                    SequenceLength = refiner.Model.Text.SequenceLength,
                    Previewer = new StagePreviewer(refiner.Model, key, runOptions, onnx),
                });
            decoder = refiner.Model;
        }
        var denoiseTime = total.Elapsed - denoiseStart;

        var decodeStart = total.Elapsed;
        var images = members.ToDictionary(m => m, _ => new List<GeneratedImage>());
        var overlays = members.ToDictionary(m => m, Overlay);
        foreach (var lane in lanes)
        {
            if (lane.Member.ShouldStop) lane.Member.Dropped = true;
            if (lane.Member.Dropped) continue;
            var image = Decode(decoder, lane.Latents, key, runOptions, onnx);
            images[lane.Member].Add(new GeneratedImage(overlays[lane.Member]?.Invoke(image) ?? image, lane.Seed));
        }
        var decodeTime = total.Elapsed - decodeStart;

        var timings = new GenerationTimings(textTime, denoiseTime, decodeTime, onnx.Elapsed, total.Elapsed);
        return members.Select((member, i) => member.Dropped ? null : new GenerationResult
        {
            Images = images[member],
            Steps = member.Resolved.Steps,
            Guidance = member.Resolved.Guidance,
            Sampler = SchedulerFactory.DisplayName(
                string.IsNullOrWhiteSpace(member.Resolved.Sampler) ? model.SchedulerConfig.ClassName : member.Resolved.Sampler),
            Warnings = warnings[i],
            Timings = timings,
            BatchSize = lanes.Count,
            Inpainting = member.Request.InitImage?.Mask is null ? null
                : model.UNet.TakesInpaintInputs ? InpaintMethod.InpaintModel : InpaintMethod.MaskedImageToImage,
        }).ToArray();
    }

    /// <summary>For a masked request: puts the original back over each decoded image by the mask's alpha, so that what the
    /// mask keeps comes back as sent (the VAE alone would blur it). Null without a mask.</summary>
    private static Func<PixelImage, PixelImage>? Overlay(BatchMember member)
    {
        var request = member.Request;
        if (request.InitImage is not { Mask: { } mask } init) return null;
        var original = ImageCodec.Resize(init.Image, request.Width, request.Height);
        var sized = mask.Resize(request.Width, request.Height);
        return image => sized.Overlay(image, original);
    }

    /// <summary>Encodes every member's prompts (the negative ones only under classifier-free guidance) through one
    /// model's text encoders, each encoder once for the whole batch.</summary>
    private static Dictionary<BatchMember, (TextConditioning Positive, TextConditioning? Negative)> Condition(LoadedModel model,
        IReadOnlyList<BatchMember> members, List<string>[] warnings, RunOptions runOptions, OnnxClock onnx)
    {
        var batch = model.Text.Begin(runOptions, onnx);
        for (var i = 0; i < members.Count; i++)
        {
            batch.Add(Positive(members[i].Request), "prompt", warnings[i]);
            if (members[i].Resolved.Guided) batch.AddNegative(Negative(members[i].Request), warnings[i]);
        }
        batch.EncodePending();
        return members.ToDictionary(m => m, m =>
        {
            var positive = batch.Get(Positive(m.Request));
            return (positive, m.Resolved.Guided ? batch.GetNegative(Negative(m.Request), positive) : null);
        });
    }

    private static PromptTexts Positive(GenerationRequest request) => new(request.Prompt, request.Prompt2);

    private static PromptTexts Negative(GenerationRequest request) => new(request.NegativePrompt, request.NegativePrompt2);

    /// <summary>Points every lane at one stage's model: its conditioning, and (for the refiner) fresh schedulers of its own config.</summary>
    private static void SetStage(List<DenoiseLane> lanes, LoadedModel model,
        Dictionary<BatchMember, (TextConditioning Positive, TextConditioning? Negative)> text, SchedulerSource? schedule, BatchKey key)
    {
        var timeIds = model.TimeIds;
        var positiveIds = timeIds?.Positive(key.Width, key.Height);
        var negativeIds = timeIds?.Negative(key.Width, key.Height);
        foreach (var lane in lanes)
        {
            var (positive, negative) = text[lane.Member];
            lane.Conditioning = new LaneConditioning(positive, negative, positiveIds, negativeIds);
            if (schedule is not null) lane.Scheduler = schedule.Create();
        }
    }

    /// <summary>One lane per image: image <c>k</c> of a request uses seed + k, its own generator and scheduler.</summary>
    private static IEnumerable<DenoiseLane> CreateLanes(LoadedModel model, BatchMember member, RunOptions runOptions, OnnxClock onnx)
    {
        var request = member.Request;
        var resolved = member.Resolved;
        var channels = model.UNet.LatentChannels;
        var (latentHeight, latentWidth) = (request.Height / 8, request.Width / 8);
        var latentLength = channels * latentHeight * latentWidth;
        var initPixels = request.InitImage is { } init
            ? VaeImageConversion.ToPlanar(ImageCodec.Resize(init.Image, request.Width, request.Height))
            : null;
        var mask = request.InitImage?.Mask?.Resize(request.Width, request.Height);
        var inpainting = mask is not null || model.UNet.TakesInpaintInputs;
        // diffusers starts an inpainting at full strength from pure noise, not from the image noised to the first timestep.
        var fromNoise = initPixels is null || (mask is not null && request.InitImage!.Strength >= 1);
        for (var k = 0; k < request.ImageCount; k++)
        {
            var seed = unchecked(request.Seed + (ulong)k);
            var generator = new TorchGenerator(seed);
            var scheduler = resolved.Schedule.Create();
            var latents = new float[latentLength];
            float[]? clean = null;
            float[]? noise = null;
            if (initPixels is not null)
            {
                clean = EncodeLatents(model, initPixels, request, generator, runOptions, onnx);
                if (resolved.Start < scheduler.Timesteps.Count)
                {
                    noise = new float[latentLength];
                    generator.NextGaussian(noise);
                }
            }
            if (fromNoise)
            {
                if (noise is null)
                {
                    noise = new float[latentLength];
                    generator.NextGaussian(noise);
                }
                TensorPrimitives.Multiply(noise, scheduler.InitNoiseSigma, latents);
            }
            else if (noise is not null)
            {
                scheduler.AddNoise(clean, noise, resolved.Start, latents);
            }
            else
            {
                clean!.CopyTo(latents);
            }
            // Noise and image latents are made in the VAE's layout, as diffusers does, so a seed gives the same image.
            var layout = model.UNet.Layout;
            latents = layout.FromVae(latents, channels, latentHeight, latentWidth);
            LaneInpainting? lane = null;
            if (inpainting)
            {
                var latentMask = mask?.LatentRepaint() ?? Filled(latentHeight * latentWidth, 1f);
                float[]? maskedLatents = null;
                if (model.UNet.TakesInpaintInputs)
                {
                    // Without a mask everything is repainted, so nothing of the image shows through.
                    var masked = new float[3 * request.Width * request.Height];
                    if (mask is not null && initPixels is not null)
                    {
                        initPixels.CopyTo(masked, 0);
                        mask.ClearRepainted(masked);
                    }
                    maskedLatents = EncodeLatents(model, masked, request, generator, runOptions, onnx);
                }
                var blend = mask is null || clean is null || noise is null ? null
                    : new MaskedBlend(layout.FromVae(clean, channels, latentHeight, latentWidth), layout.FromVae(noise, channels, latentHeight, latentWidth),
                        layout.FromVae(SpreadOverChannels(latentMask, channels), channels, latentHeight, latentWidth));
                lane = new LaneInpainting(latentMask, maskedLatents, blend);
            }
            yield return new DenoiseLane(member, seed, latents, generator, resolved.Guidance) { Scheduler = scheduler, ImageIndex = k, Inpainting = lane };
        }
    }

    /// <summary>Scaled VAE latents of planar pixels, as the denoiser starts from them.</summary>
    private static float[] EncodeLatents(LoadedModel model, float[] pixels, GenerationRequest request, TorchGenerator generator,
        RunOptions runOptions, OnnxClock onnx)
    {
        var latents = model.VaeEncoder!.Encode(pixels, request.Height, request.Width, model.UNet.LatentChannels, generator, runOptions, onnx);
        if (model.VaeShiftFactor != 0) TensorPrimitives.Subtract(latents, model.VaeShiftFactor, latents);
        TensorPrimitives.Multiply(latents, model.VaeScalingFactor, latents);
        return latents;
    }

    private static float[] Filled(int length, float value)
    {
        var values = new float[length];
        Array.Fill(values, value);
        return values;
    }

    private static float[] SpreadOverChannels(float[] plane, int channels)
    {
        var spread = new float[channels * plane.Length];
        for (var c = 0; c < channels; c++) plane.CopyTo(spread, c * plane.Length);
        return spread;
    }

    internal static PixelImage Decode(LoadedModel model, float[] latents, BatchKey key, RunOptions runOptions, OnnxClock onnx)
    {
        var (channels, latentHeight, latentWidth) = (model.UNet.LatentChannels, key.Height / 8, key.Width / 8);
        latents = model.UNet.Layout.ToVae(latents, channels, latentHeight, latentWidth);
        TensorPrimitives.Divide(latents, model.VaeScalingFactor, latents);
        if (model.VaeShiftFactor != 0) TensorPrimitives.Add(latents, model.VaeShiftFactor, latents);
        var pixels = model.VaeDecoder.Decode(latents, channels, latentHeight, latentWidth, runOptions, onnx);
        // An fp16 SDXL VAE overflows to NaN/∞ and would otherwise give a black image.
        if (!float.IsFinite(TensorPrimitives.Sum(pixels)))
            throw new ModelOutputException(model.Entry.Id,
                $"The VAE decoder of model '{model.Entry.Id}' produced NaN or infinite pixels. The stock SDXL VAE overflows in " +
                "float16: use an fp16-fixed VAE (e.g. madebyollin/sdxl-vae-fp16-fix exported as vae_decoder/) or a float32 VAE.");
        return VaeImageConversion.ToImage(pixels, key.Width, key.Height);
    }
}
