using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Engine.Progress;

/// <summary>One thing that happened to a generation; <see cref="Id"/> numbers the events of one feed from 1.</summary>
public abstract record GenerationEvent
{
    public long Id { get; init; }

    /// <summary>True for <see cref="FinishedEvent"/> and <see cref="FailedEvent"/>: nothing follows.</summary>
    public bool IsFinal => this is FinishedEvent or FailedEvent;
}

/// <summary>Waiting at 1-based <paramref name="Position"/>; <paramref name="Eta"/> until it starts, null before the model
/// has a cost estimate.</summary>
public sealed record QueuedEvent(int Position, TimeSpan? Eta) : GenerationEvent;

/// <summary>Left the queue; the worker runs it now.</summary>
public sealed record StartedEvent : GenerationEvent;

/// <summary><paramref name="Step"/> of <paramref name="Steps"/> denoising steps are done.</summary>
public sealed record StepEvent(int Step, int Steps) : GenerationEvent
{
    /// <summary>The first image's latents through the family's latent→RGB matrix, as JPEG; only when a subscriber asked.</summary>
    public byte[]? Preview { get; init; }

    /// <summary>The first image's current x₀ estimate through the VAE, at render size; only delivered live, to the
    /// subscriber whose <c>decodeAt</c> chose this step, never kept in the feed's history.</summary>
    public PixelImage? Decoded { get; init; }
}

/// <summary>The images exist; <paramref name="Url"/> is where the caller stored the first one, if it did.</summary>
public sealed record FinishedEvent(string? Url) : GenerationEvent;

/// <summary>The generation ended without images.</summary>
public sealed record FailedEvent(FailureStatus Status, string Code, string Message) : GenerationEvent;

public enum FailureStatus
{
    Failed,
    Cancelled,
    Expired,
}
