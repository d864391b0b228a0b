using System.Diagnostics;
using System.Numerics.Tensors;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Text-to-image and image-to-image for SD 1.x / 2.x exports: tokenize → encode text → initial latents →
/// scheduler loop → VAE decode → pixels. A run serves a batch of requests that share a <see cref="BatchKey"/>:
/// every image of every request is a lane, and each step is one UNet call over all lanes (two rows a lane when
/// classifier-free guidance is on). Each lane keeps its own prompt, seed, noise stream, scheduler and guidance, so
/// its pixels are the same as when it runs alone.
/// </summary>
internal static class StableDiffusionPipeline
{
    /// <summary>Runs the batch; a member cancelled mid-run leaves the batch and gets null, the others go on.
    /// Throws <see cref="OperationCanceledException"/> when every member is cancelled.</summary>
    public static GenerationResult?[] Run(StableDiffusionModel model, IReadOnlyList<BatchMember> members)
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
            return RunBatch(model, members, runOptions, allCancelled.Token, total);
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }

    private static GenerationResult?[] RunBatch(StableDiffusionModel model, IReadOnlyList<BatchMember> members, RunOptions runOptions,
        CancellationToken cancellationToken, Stopwatch total)
    {
        var onnx = new OnnxClock(cancellationToken);
        var key = members[0].Resolved.Key;

        var textStart = total.Elapsed;
        var prompts = new PromptEncoder(model, runOptions, onnx);
        var warnings = members.Select(m => prompts.Prepare(m.Request, m.Resolved.Guided)).ToArray();
        prompts.EncodePending();
        var textTime = total.Elapsed - textStart;

        var lanes = new List<DenoiseLane>();
        foreach (var member in members)
            lanes.AddRange(CreateLanes(model, member, prompts, runOptions, onnx));

        var denoiseStart = total.Elapsed;
        Denoise(model, lanes, key, runOptions, onnx, cancellationToken);
        var denoiseTime = total.Elapsed - denoiseStart;

        var decodeStart = total.Elapsed;
        var images = members.ToDictionary(m => m, _ => new List<GeneratedImage>());
        var channels = model.UNet.LatentChannels;
        foreach (var lane in lanes)
        {
            if (lane.Member.ShouldStop) lane.Member.Dropped = true;
            if (lane.Member.Dropped) continue;
            TensorPrimitives.Divide(lane.Latents, model.VaeScalingFactor, lane.Latents);
            var pixels = model.VaeDecoder.Decode(lane.Latents, channels, key.Height / 8, key.Width / 8, runOptions, onnx);
            images[lane.Member].Add(new GeneratedImage(VaeImageConversion.ToImage(pixels, key.Width, key.Height), lane.Seed));
        }
        var decodeTime = total.Elapsed - decodeStart;

        var timings = new GenerationTimings(textTime, denoiseTime, decodeTime, onnx.Elapsed, total.Elapsed);
        return members.Select((member, i) => member.Dropped ? null : new GenerationResult
        {
            Images = images[member],
            Steps = member.Resolved.Steps,
            Guidance = member.Resolved.Guidance,
            Sampler = Schedulers.SchedulerFactory.DisplayName(
                string.IsNullOrWhiteSpace(member.Resolved.Sampler) ? model.SchedulerConfig.ClassName : member.Resolved.Sampler),
            Warnings = warnings[i],
            Timings = timings,
            BatchSize = lanes.Count,
        }).ToArray();
    }

    /// <summary>One lane per image: image <c>k</c> of a request uses seed + k, its own generator and scheduler.</summary>
    private static IEnumerable<DenoiseLane> CreateLanes(StableDiffusionModel model, BatchMember member, PromptEncoder prompts,
        RunOptions runOptions, OnnxClock onnx)
    {
        var request = member.Request;
        var resolved = member.Resolved;
        var channels = model.UNet.LatentChannels;
        var latentLength = channels * (request.Height / 8) * (request.Width / 8);
        var conditional = prompts.Embedding(request.Prompt);
        var unconditional = resolved.Guided ? prompts.Embedding(request.NegativePrompt) : null;
        var initPixels = request.InitImage is { } init
            ? VaeImageConversion.ToPlanar(ImageCodec.Resize(init.Image, request.Width, request.Height))
            : null;
        for (var k = 0; k < request.ImageCount; k++)
        {
            var seed = unchecked(request.Seed + (ulong)k);
            var generator = new TorchGenerator(seed);
            var scheduler = RequestValidator.CreateScheduler(resolved.Sampler, model, resolved.Steps);
            var latents = new float[latentLength];
            if (initPixels is null)
            {
                generator.NextGaussian(latents);
                TensorPrimitives.Multiply(latents, scheduler.InitNoiseSigma, latents);
            }
            else
            {
                var clean = model.VaeEncoder!.Encode(initPixels, request.Height, request.Width, channels, generator, runOptions, onnx);
                TensorPrimitives.Multiply(clean, model.VaeScalingFactor, clean);
                var start = resolved.Key.StartIndex;
                if (start < scheduler.Timesteps.Count)
                {
                    var noise = new float[latentLength];
                    generator.NextGaussian(noise);
                    scheduler.AddNoise(clean, noise, start, latents);
                }
                else
                {
                    clean.CopyTo(latents);
                }
            }
            yield return new DenoiseLane(member, seed, latents, scheduler, generator, resolved.Guidance, conditional, unconditional);
        }
    }

    private static void Denoise(StableDiffusionModel model, List<DenoiseLane> lanes, BatchKey key, RunOptions runOptions,
        OnnxClock onnx, CancellationToken cancellationToken)
    {
        var timesteps = lanes[0].Scheduler.Timesteps;
        var start = key.StartIndex;
        if (start >= timesteps.Count) return;

        var rowsPerLane = key.Guided ? 2 : 1;
        var rowLength = lanes[0].Latents.Length;
        var scaled = new float[rowLength];
        var unconditional = new float[rowLength];
        var conditional = new float[rowLength];
        // Progress counts the requested steps, as diffusers' progress bar does: PNDM's extra warm-up evaluation
        // (steps + 1 timesteps) is not a step of its own.
        var warmup = Math.Max(0, timesteps.Count - key.Steps);
        var reported = Math.Max(1, timesteps.Count - start - warmup);

        var active = lanes;
        var members = active.Select(l => l.Member).Distinct().ToList();
        UNetStepper? stepper = null;
        for (var i = start; i < timesteps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DropCancelled(ref active, members) || stepper is null)
            {
                if (active.Count == 0) throw new OperationCanceledException(cancellationToken);
                stepper = PrepareStepper(model, active, rowsPerLane, key);
            }

            foreach (var lane in active)
            {
                lane.Scheduler.ScaleModelInput(lane.Latents, i, scaled);
                for (var r = 0; r < rowsPerLane; r++) stepper.WriteSample(scaled, lane.FirstRow + r);
            }

            stepper.Run(timesteps[i], runOptions, onnx);

            foreach (var lane in active)
            {
                if (rowsPerLane == 2)
                {
                    // ε = ε_uncond + g · (ε_cond − ε_uncond)
                    stepper.ReadPrediction(unconditional, lane.FirstRow);
                    stepper.ReadPrediction(conditional, lane.FirstRow + 1);
                    TensorPrimitives.Subtract(conditional, unconditional, conditional);
                    TensorPrimitives.MultiplyAdd(conditional, (float)lane.Guidance, unconditional, conditional);
                }
                else
                {
                    stepper.ReadPrediction(conditional, lane.FirstRow);
                }
                lane.Scheduler.Step(conditional, i, lane.Latents, lane.Noise);
            }

            var step = i - start + 1 - warmup;
            if (step > 0)
                foreach (var member in members)
                    member.Progress?.Invoke(new GenerationProgress(Math.Min(step, reported), reported));
        }
    }

    /// <summary>Takes the lanes of members cancelled or expired since the last step out of the batch; true when any left.</summary>
    private static bool DropCancelled(ref List<DenoiseLane> active, List<BatchMember> members)
    {
        // Checked every step, so the common case (nobody left) must not allocate.
        if (!members.Exists(static m => m.ShouldStop)) return false;
        var cancelled = members.Where(m => m.ShouldStop).ToList();
        foreach (var member in cancelled)
        {
            member.Dropped = true;
            members.Remove(member);
        }
        active = active.Where(l => !l.Member.Dropped).ToList();
        return true;
    }

    /// <summary>UNet tensors for the current lanes: rows assigned in lane order, text embeddings written once.</summary>
    private static UNetStepper PrepareStepper(StableDiffusionModel model, List<DenoiseLane> lanes, int rowsPerLane, BatchKey key)
    {
        var textRow = lanes[0].Conditional.Length;
        var sequence = model.Tokenizer.ModelMaxLength;
        var batch = lanes.Count * rowsPerLane;
        var stepper = model.UNet.Stepper(batch, key.Height / 8, key.Width / 8, sequence, textRow / sequence);
        for (var l = 0; l < lanes.Count; l++)
        {
            var lane = lanes[l];
            lane.FirstRow = l * rowsPerLane;
            if (rowsPerLane == 2) stepper.SetTextEmbeddings(lane.Unconditional!, lane.FirstRow);
            stepper.SetTextEmbeddings(lane.Conditional, lane.FirstRow + rowsPerLane - 1);
        }
        if (model.UNet.GuidanceEmbeddingSize is { } size)
        {
            var w = new float[batch * size];
            foreach (var lane in lanes)
                for (var r = 0; r < rowsPerLane; r++)
                    GuidanceEmbedding.Write(lane.Guidance, w.AsSpan((lane.FirstRow + r) * size, size));
            stepper.SetGuidanceEmbeddings(w);
        }
        return stepper;
    }
}
