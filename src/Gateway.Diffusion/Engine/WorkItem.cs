using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Pipelines;

namespace Gateway.Diffusion.Engine;

/// <summary>One queued generation: what to draw and how to schedule it (data), and the process-local pending state
/// beside it: its completion, its cancellation (client or deadline) and its event feed.</summary>
internal sealed class WorkItem : IDisposable
{
    private CancellationTokenRegistration _registration;

    public WorkItem(GenerationRequest request, ResolvedGeneration resolved, GenerationOptions options, GenerationFeed? feed,
        CancellationToken clientToken)
    {
        Feed = feed;
        Request = request;
        Resolved = resolved;
        Options = options;
        ClientToken = clientToken;
        Cancellation = CancellationTokenSource.CreateLinkedTokenSource(clientToken);
    }

    public GenerationRequest Request { get; }
    public ResolvedGeneration Resolved { get; }
    public GenerationOptions Options { get; }
    public CancellationToken ClientToken { get; }

    /// <summary>Where queue positions, the start and each step are published; null when nobody follows the generation.</summary>
    public GenerationFeed? Feed { get; }

    /// <summary>Cancelled when the client gives up or the deadline passes.</summary>
    public CancellationTokenSource Cancellation { get; }

    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the deadline timer and calls <paramref name="onCancelled"/> when the item is cancelled either way.</summary>
    public void Arm(Action<WorkItem> onCancelled)
    {
        _registration = Cancellation.Token.Register(static state =>
        {
            var (item, callback) = ((WorkItem, Action<WorkItem>))state!;
            callback(item);
        }, (this, onCancelled));
        if (Options.Deadline is { } deadline)
            Cancellation.CancelAfter(Clamp(deadline - DateTimeOffset.UtcNow));
    }

    /// <summary>Completes the task for a cancellation: the client's own, or the deadline's.</summary>
    public void CompleteCancelled()
    {
        if (ClientToken.IsCancellationRequested) Completion.TrySetCanceled(ClientToken);
        else Completion.TrySetException(new DeadlineExceededException(Options.Deadline ?? DateTimeOffset.UtcNow));
    }

    private static TimeSpan Clamp(TimeSpan delay) => delay < TimeSpan.Zero ? TimeSpan.Zero : delay;

    public void Dispose()
    {
        _registration.Dispose();
        Cancellation.Dispose();
    }
}
