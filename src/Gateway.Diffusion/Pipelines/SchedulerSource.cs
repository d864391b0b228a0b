using Gateway.Diffusion.Schedulers;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// Makes the schedulers of one request stage (a model's config, a sampler, a step count): one for planning at
/// validation, then one per lane, since a scheduler carries per-image state. Limits of a particular scheduler
/// (LCM's step count, a prediction type it lacks) become request errors.
/// </summary>
/// <param name="ImageSequenceLength">The packed latent sequence length a flow-matching schedule shifts by (Flux), or null.</param>
internal sealed record SchedulerSource(string Sampler, SchedulerConfig Config, int Steps, string ModelId, int? ImageSequenceLength = null)
{
    /// <exception cref="InvalidGenerationRequestException">The scheduler cannot run these steps on this model.</exception>
    public IScheduler Create()
    {
        try
        {
            return ImageSequenceLength is { } length
                ? SchedulerFactory.Create(Sampler, Config, Steps, length)
                : SchedulerFactory.Create(Sampler, Config, Steps);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "inferenceSteps")
        {
            throw new InvalidGenerationRequestException("steps", $"{Steps} steps: {e.Message.Split(" (Parameter")[0]}");
        }
        catch (NotSupportedException e)
        {
            throw new InvalidGenerationRequestException("sampler", $"The sampler cannot run model '{ModelId}': {e.Message}");
        }
    }
}
