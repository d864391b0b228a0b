using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Engine;

/// <summary>Where a host sends its generations: this process's <see cref="DiffusionEngine"/>, or a cluster's shared queue
/// that any node's engine may take them from. Both answer with the images or the same exceptions.</summary>
public interface IGenerationService
{
    /// <summary>Queues a generation and ends with its images; see <see cref="DiffusionEngine.GenerateAsync(GenerationRequest, GenerationOptions?, GenerationFeed?, CancellationToken)"/>
    /// for the exceptions. Queue positions, the start and the steps go to <paramref name="feed"/>; the caller publishes the end.</summary>
    Task<GenerationResult> GenerateAsync(GenerationRequest request, GenerationOptions? options, GenerationFeed? feed,
        CancellationToken cancellationToken = default);

    /// <summary>Place in the queue and estimated wait of the generation started with <paramref name="options"/> (by
    /// reference); null when it is not waiting.</summary>
    QueueStanding? QueueStanding(GenerationOptions options);
}
