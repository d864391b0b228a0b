using System.Diagnostics;
using System.Numerics.Tensors;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Schedulers;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Text-to-image and image-to-image for SD 1.x / 2.x exports: tokenize → encode text → initial latents →
/// scheduler loop (one UNet call per step; classifier-free guidance as one batch) → VAE decode → pixels.
/// </summary>
internal static class StableDiffusionPipeline
{
    public const int MaxImages = 16;

    public static GenerationResult Run(StableDiffusionModel model, GenerationRequest request,
        Action<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var entry = model.Entry;
        var (steps, guidance, sampler) = Validate(model, request);

        using var runOptions = new RunOptions();
        using var terminate = cancellationToken.Register(() => runOptions.Terminate = true);
        var onnx = new OnnxClock();
        var warnings = new List<string>();

        // Text: unconditional row first, as diffusers concatenates [negative, positive].
        var textStart = total.Elapsed;
        var unet = model.UNet;
        var useCfg = guidance > 1.0 && unet.GuidanceEmbeddingSize is null;
        var prompt = model.Tokenizer.Encode(request.Prompt);
        if (prompt.Truncated)
            warnings.Add($"The prompt is {prompt.TokenCount} tokens; only the first {model.Tokenizer.ModelMaxLength - 2} were used.");
        var sequence = prompt.Ids.Length;
        int[] ids;
        if (useCfg)
        {
            var negative = model.Tokenizer.Encode(request.NegativePrompt);
            if (negative.Truncated)
                warnings.Add($"The negative prompt is {negative.TokenCount} tokens; only the first {model.Tokenizer.ModelMaxLength - 2} were used.");
            ids = [.. negative.Ids, .. prompt.Ids];
        }
        else
        {
            ids = prompt.Ids;
        }
        var textRows = useCfg ? 2 : 1;
        var (text, hidden) = onnx.Time(() => model.TextEncoder.Encode(ids, textRows, sequence, runOptions), cancellationToken);
        var textTime = total.Elapsed - textStart;

        // Latents: one lane per image, each with its own seed, generator and scheduler state.
        var latentHeight = request.Height / 8;
        var latentWidth = request.Width / 8;
        var channels = unet.LatentChannels;
        var latentLength = channels * latentHeight * latentWidth;
        var rowsPerLane = textRows;
        var initPixels = request.InitImage is { } init
            ? VaeImageConversion.ToPlanar(ImageCodec.Resize(init.Image, request.Width, request.Height))
            : null;
        var lanes = new DenoiseLane[request.ImageCount];
        for (var k = 0; k < lanes.Length; k++)
        {
            var seed = unchecked(request.Seed + (ulong)k);
            var generator = new TorchGenerator(seed);
            var scheduler = CreateScheduler(sampler, model, steps);
            var latents = new float[latentLength];
            if (initPixels is null)
            {
                generator.NextGaussian(latents);
                TensorPrimitives.Multiply(latents, scheduler.InitNoiseSigma, latents);
            }
            else
            {
                var clean = onnx.Time(() => model.VaeEncoder!.Encode(initPixels, request.Height, request.Width, channels, generator, runOptions), cancellationToken);
                TensorPrimitives.Multiply(clean, model.VaeScalingFactor, clean);
                var start = scheduler.StartIndexForStrength(request.InitImage!.Strength);
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
            lanes[k] = new DenoiseLane(seed, latents, scheduler, generator, guidance, k * rowsPerLane);
        }

        var denoiseStart = total.Elapsed;
        Denoise(model, lanes, steps, rowsPerLane, text, sequence, hidden, latentHeight, latentWidth, request.InitImage?.Strength,
            runOptions, onnx, progress, cancellationToken);
        var denoiseTime = total.Elapsed - denoiseStart;

        var decodeStart = total.Elapsed;
        var images = new List<GeneratedImage>(lanes.Length);
        foreach (var lane in lanes)
        {
            TensorPrimitives.Divide(lane.Latents, model.VaeScalingFactor, lane.Latents);
            var pixels = onnx.Time(() => model.VaeDecoder.Decode(lane.Latents, channels, latentHeight, latentWidth, runOptions), cancellationToken);
            images.Add(new GeneratedImage(VaeImageConversion.ToImage(pixels, request.Width, request.Height), lane.Seed));
        }
        var decodeTime = total.Elapsed - decodeStart;

        return new GenerationResult
        {
            Images = images,
            Steps = steps,
            Guidance = guidance,
            Sampler = SchedulerFactory.DisplayName(string.IsNullOrWhiteSpace(sampler) ? model.SchedulerConfig.ClassName : sampler),
            Warnings = warnings,
            Timings = new GenerationTimings(textTime, denoiseTime, decodeTime, onnx.Elapsed, total.Elapsed),
        };
    }

    private static void Denoise(StableDiffusionModel model, DenoiseLane[] lanes, int steps, int rowsPerLane, float[] text, int sequence,
        int hidden, int latentHeight, int latentWidth, double? strength, RunOptions runOptions, OnnxClock onnx,
        Action<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var timesteps = lanes[0].Scheduler.Timesteps;
        var start = strength is { } s ? lanes[0].Scheduler.StartIndexForStrength(s) : 0;
        if (start >= timesteps.Count) return;

        var batch = lanes.Length * rowsPerLane;
        using var stepper = model.UNet.CreateStepper(batch, latentHeight, latentWidth, sequence, hidden);
        var textRow = sequence * hidden;
        var embeddings = new float[batch * textRow];
        for (var row = 0; row < batch; row++)
            text.AsSpan((row % rowsPerLane) * textRow, textRow).CopyTo(embeddings.AsSpan(row * textRow));
        stepper.SetTextEmbeddings(embeddings);
        if (model.UNet.GuidanceEmbeddingSize is { } size)
        {
            var w = new float[batch * size];
            foreach (var lane in lanes)
                for (var r = 0; r < rowsPerLane; r++)
                    GuidanceEmbedding.Write(lane.Guidance, w.AsSpan((lane.FirstRow + r) * size, size));
            stepper.SetGuidanceEmbeddings(w);
        }

        var scaled = new float[stepper.RowLength];
        var unconditional = new float[stepper.RowLength];
        var conditional = new float[stepper.RowLength];
        // Progress counts the requested steps, as diffusers' progress bar does: PNDM's extra warm-up evaluation
        // (steps + 1 timesteps) is not a step of its own.
        var warmup = Math.Max(0, timesteps.Count - steps);
        var reported = Math.Max(1, timesteps.Count - start - warmup);
        for (var i = start; i < timesteps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var lane in lanes)
            {
                lane.Scheduler.ScaleModelInput(lane.Latents, i, scaled);
                for (var r = 0; r < rowsPerLane; r++) stepper.WriteSample(scaled, lane.FirstRow + r);
            }

            onnx.Time((stepper, timestep: timesteps[i], runOptions),
                static state => state.stepper.Run(state.timestep, state.runOptions), cancellationToken);

            foreach (var lane in lanes)
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
            if (step > 0) progress?.Invoke(new GenerationProgress(Math.Min(step, reported), reported));
        }
    }

    /// <summary>Builds a lane's scheduler; limits of a particular scheduler (LCM's step count, a prediction type it
    /// lacks) become request errors.</summary>
    private static IScheduler CreateScheduler(string sampler, StableDiffusionModel model, int steps)
    {
        try
        {
            return SchedulerFactory.Create(sampler, model.SchedulerConfig, steps);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "inferenceSteps")
        {
            throw new InvalidGenerationRequestException("steps", $"{steps} steps: {e.Message.Split(" (Parameter")[0]}");
        }
        catch (NotSupportedException e)
        {
            throw new InvalidGenerationRequestException("sampler", $"The sampler cannot run model '{model.Entry.Id}': {e.Message}");
        }
    }

    /// <summary>Checks a request against the model before it is queued, and resolves the model's defaults.</summary>
    public static (int Steps, double Guidance, string Sampler) Validate(StableDiffusionModel model, GenerationRequest request)
    {
        var entry = model.Entry;
        var steps = request.Steps ?? entry.DefaultSteps;
        var guidance = request.Guidance ?? entry.DefaultGuidance;
        var sampler = string.IsNullOrWhiteSpace(request.Sampler) ? entry.DefaultSampler : request.Sampler;
        if (string.IsNullOrWhiteSpace(request.Prompt))
            throw new InvalidGenerationRequestException("prompt", "The prompt must not be empty.");
        foreach (var (name, value) in new[] { ("width", request.Width), ("height", request.Height) })
        {
            if (value < 64 || value > entry.MaxSide || value % 8 != 0)
                throw new InvalidGenerationRequestException(name,
                    $"The {name} must be a multiple of 8 from 64 to {entry.MaxSide} for model '{entry.Id}'; got {value}.");
        }
        if (steps is < 1 or > 150)
            throw new InvalidGenerationRequestException("steps", $"Steps must be 1..150; got {steps}.");
        if (!double.IsFinite(guidance) || guidance is < 0 or > 30)
            throw new InvalidGenerationRequestException("guidance", $"Guidance must be 0..30; got {guidance}.");
        if (!string.IsNullOrWhiteSpace(sampler) && !SchedulerFactory.IsKnown(sampler))
            throw new InvalidGenerationRequestException("sampler",
                $"Unknown sampler '{sampler}'. Valid samplers: {string.Join(", ", SchedulerFactory.Names)}.");
        if (request.ImageCount is < 1 or > MaxImages)
            throw new InvalidGenerationRequestException("n", $"The number of images must be 1..{MaxImages}; got {request.ImageCount}.");
        if (request.InitImage is { } init)
        {
            if (model.VaeEncoder is null)
                throw new InvalidGenerationRequestException("image", $"Model '{entry.Id}' has no vae_encoder, so it cannot do image-to-image.");
            if (!double.IsFinite(init.Strength) || init.Strength is < 0 or > 1)
                throw new InvalidGenerationRequestException("strength", $"Strength must be 0..1; got {init.Strength}.");
        }
        CreateScheduler(sampler, model, steps);
        return (steps, guidance, sampler);
    }

    /// <summary>Sums the time spent inside ONNX Runtime and turns a terminated run into a cancellation.</summary>
    private sealed class OnnxClock
    {
        private long _ticks;

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, _ticks);

        public T Time<T>(Func<T> run, CancellationToken cancellationToken) =>
            Measure(run, static run => run(), cancellationToken);

        /// <summary>The allocation-free form for the step loop: <paramref name="run"/> is static and gets its state.</summary>
        public void Time<TState>(TState state, Action<TState> run, CancellationToken cancellationToken) =>
            Measure((state, run), static pair => { pair.run(pair.state); return 0; }, cancellationToken);

        private T Measure<TState, T>(TState state, Func<TState, T> run, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return run(state);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            finally
            {
                _ticks += Stopwatch.GetTimestamp() - started;
            }
        }
    }
}
