using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines;

/// <summary>A request with the model's defaults filled in, its schedule planned, and the key that says which
/// requests can share a batch.</summary>
/// <param name="End">The base model's last evaluation + 1: the whole schedule, or where the refiner takes over.</param>
internal sealed record ResolvedGeneration(int Steps, double Guidance, string Sampler, GuidanceMode Mode, SchedulerSource Schedule,
    int Start, int End, int Timesteps, RefinerPlan? Refiner, BatchKey Key)
{
    /// <summary>The LoRAs the base model runs with (none unless the request or a composite model names some).</summary>
    public LoraSet? Loras { get; init; }

    public bool Guided => Mode == GuidanceMode.ClassifierFree;

    /// <summary>UNet evaluations of the whole run, both stages.</summary>
    public int Evaluations => End - Start + (Refiner is { } r ? r.Timesteps - r.Start : 0);
}

/// <summary>The refiner stage of a request: its model, schedule and first evaluation.</summary>
internal sealed record RefinerPlan(LoadedModel Model, SchedulerSource Schedule, int Start, int Timesteps);

/// <summary>Checks a request against its model before it is queued, so that nothing invalid waits in line.</summary>
internal static class RequestValidator
{
    public const int MaxImages = 16;

    /// <param name="refiner">The loaded refiner when the request asks for one (the engine resolves it from the catalog).</param>
    /// <param name="loras">The request's LoRAs, checked against the catalog (<see cref="LoraSets.Resolve"/>).</param>
    public static ResolvedGeneration Validate(LoadedModel model, GenerationRequest request, LoadedModel? refiner = null, LoraSet? loras = null)
    {
        var entry = model.Entry;
        var steps = request.Steps ?? entry.DefaultSteps;
        var guidance = request.Guidance ?? entry.DefaultGuidance;
        var sampler = string.IsNullOrWhiteSpace(request.Sampler) ? entry.DefaultSampler : request.Sampler.Trim();
        // Image-to-image may run unconditioned (variations of an image); text-to-image needs something to draw.
        if (string.IsNullOrWhiteSpace(request.Prompt) && request.InitImage is null)
            throw new InvalidGenerationRequestException("prompt", "The prompt must not be empty.");
        if (entry.Family.IsFlux()) CheckFlux(entry, request, sampler);
        foreach (var (name, value) in new[] { ("prompt_2", request.Prompt2), ("negative_prompt_2", request.NegativePrompt2) })
        {
            var flux2 = name == "prompt_2" && entry.Family.IsFlux();   // Flux's prompt_2 is T5's prompt
            if (!string.IsNullOrEmpty(value) && !entry.Family.IsXl() && !flux2)
                throw new InvalidGenerationRequestException(name,
                    $"'{name}' feeds SDXL's second text encoder; model '{entry.Id}' ({entry.Family.ToName()}) has one text encoder.",
                    InvalidGenerationRequestException.UnsupportedParameter);
        }
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
        if (!string.IsNullOrWhiteSpace(sampler) && SchedulerFactory.IsFlowMatch(sampler) && !entry.Family.IsFlux())
            throw new InvalidGenerationRequestException("sampler",
                $"'{sampler}' is the flow-matching sampler of Flux models; model '{entry.Id}' ({entry.Family.ToName()}) takes " +
                $"{string.Join(", ", SchedulerFactory.Names.Where(n => !SchedulerFactory.IsFlowMatch(n)))}.");
        if (request.ImageCount is < 1 or > MaxImages)
            throw new InvalidGenerationRequestException("n", $"The number of images must be 1..{MaxImages}; got {request.ImageCount}.");
        if (request.InitImage is { } init)
        {
            if (model.VaeEncoder is null)
                throw new InvalidGenerationRequestException("image", $"Model '{entry.Id}' has no vae_encoder, so it cannot do image-to-image.");
            if (!double.IsFinite(init.Strength) || init.Strength is < 0 or > 1)
                throw new InvalidGenerationRequestException("strength", $"Strength must be 0..1; got {init.Strength}.");
            if (init.Mask is { } mask && (mask.Width != init.Image.Width || mask.Height != init.Image.Height))
                throw new InvalidGenerationRequestException("mask",
                    $"The mask is {mask.Width}x{mask.Height} but the image {init.Image.Width}x{init.Image.Height}; they must be the same size.");
        }

        var schedule = new SchedulerSource(sampler, model.SchedulerConfig, steps, entry.Id,
            model.UNet.Layout.ImageSequenceLength(request.Height / 8, request.Width / 8));
        var prototype = schedule.Create();
        var timesteps = prototype.Timesteps;
        var start = request.InitImage is { } image ? prototype.StartIndexForStrength(image.Strength) : 0;
        var mode = model.UNet.EmbedsGuidance ? GuidanceMode.Embedded
            : guidance > 1.0 && model.UNet.ClassifierFreeGuidance ? GuidanceMode.ClassifierFree
            : GuidanceMode.None;

        var end = timesteps.Count;
        RefinerPlan? plan = null;
        if (refiner is not null)
        {
            // diffusers' ensemble of experts: the base keeps the timesteps at or above the cutoff (denoising_end), the
            // refiner the ones below it (denoising_start) of its own identical schedule.
            var trained = model.SchedulerConfig.NumTrainTimesteps;
            var cutoff = Math.Round(trained - entry.HighNoiseFraction * trained, MidpointRounding.ToEven);
            var refinerSchedule = new SchedulerSource(sampler, refiner.SchedulerConfig, steps, refiner.Entry.Id);
            var refinerTimesteps = refinerSchedule.Create().Timesteps;
            end = Math.Max(start, timesteps.Count(t => t >= cutoff));
            var refinerStart = Math.Max(start, refinerTimesteps.Count - refinerTimesteps.Count(t => t < cutoff));
            plan = new RefinerPlan(refiner, refinerSchedule, refinerStart, refinerTimesteps.Count);
        }

        // The raw sampler name, not its display name: "DPMSolverMultistepScheduler" follows the config's Karras
        // setting while "DPM++ 2M" fixes it off, so the two may have different timesteps.
        var key = new BatchKey(entry.Id, request.Width, request.Height, steps, sampler.ToLowerInvariant(), mode, start,
            plan?.Model.Entry.Id, plan?.Start ?? 0, loras?.Key ?? "");
        return new ResolvedGeneration(steps, guidance, sampler, mode, schedule, start, end, timesteps.Count, plan, key) { Loras = loras };
    }

    /// <summary>What Flux cannot take: a negative prompt (no classifier-free guidance, so nothing to guide away from),
    /// a noise-prediction sampler, or a size its 2×2 latent packing cannot split.</summary>
    private static void CheckFlux(ModelCatalogEntry entry, GenerationRequest request, string sampler)
    {
        foreach (var (name, value) in new[] { ("negative_prompt", request.NegativePrompt), ("negative_prompt_2", request.NegativePrompt2) })
        {
            if (!string.IsNullOrEmpty(value))
                throw new InvalidGenerationRequestException(name,
                    $"Model '{entry.Id}' ({entry.Family.ToName()}) has no negative conditioning: Flux runs without classifier-free " +
                    $"guidance, so '{name}' would have no effect. Leave it out.");
        }
        if (!string.IsNullOrWhiteSpace(sampler) && SchedulerFactory.IsKnown(sampler) && !SchedulerFactory.IsFlowMatch(sampler))
            throw new InvalidGenerationRequestException("sampler",
                $"Model '{entry.Id}' ({entry.Family.ToName()}) is a flow-matching model and takes only the Flow Euler sampler; got '{sampler}'.");
        foreach (var (name, value) in new[] { ("width", request.Width), ("height", request.Height) })
        {
            if (value % 16 != 0)
                throw new InvalidGenerationRequestException(name,
                    $"The {name} must be a multiple of 16 for Flux model '{entry.Id}' (its latents are packed in 2×2 patches); got {value}.");
        }
    }
}
