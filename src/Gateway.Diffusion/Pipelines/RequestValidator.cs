using Gateway.Diffusion.Models;
using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines;

/// <summary>A request with the model's defaults filled in, and the key that says which requests can share a batch.</summary>
internal sealed record ResolvedGeneration(int Steps, double Guidance, string Sampler, bool Guided, BatchKey Key);

/// <summary>Checks a request against its model before it is queued, so that nothing invalid waits in line.</summary>
internal static class RequestValidator
{
    public const int MaxImages = 16;

    public static ResolvedGeneration Validate(StableDiffusionModel model, GenerationRequest request)
    {
        var entry = model.Entry;
        var steps = request.Steps ?? entry.DefaultSteps;
        var guidance = request.Guidance ?? entry.DefaultGuidance;
        var sampler = string.IsNullOrWhiteSpace(request.Sampler) ? entry.DefaultSampler : request.Sampler.Trim();
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

        var scheduler = CreateScheduler(sampler, model, steps);
        var start = request.InitImage is { } image ? scheduler.StartIndexForStrength(image.Strength) : 0;
        var guided = guidance > 1.0 && model.UNet.GuidanceEmbeddingSize is null;
        // The raw sampler name, not its display name: "DPMSolverMultistepScheduler" follows the config's Karras
        // setting while "DPM++ 2M" fixes it off, so the two may have different timesteps.
        var key = new BatchKey(entry.Id, request.Width, request.Height, steps, sampler.ToLowerInvariant(), guided, start);
        return new ResolvedGeneration(steps, guidance, sampler, guided, key);
    }

    /// <summary>Builds a scheduler; limits of a particular one (LCM's step count, a prediction type it lacks) become
    /// request errors.</summary>
    public static IScheduler CreateScheduler(string sampler, StableDiffusionModel model, int steps)
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
}
