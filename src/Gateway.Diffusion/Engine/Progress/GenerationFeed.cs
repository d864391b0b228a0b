using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Engine.Progress;

/// <summary>
/// The progress events of one generation, pushed to its subscribers: queued (again whenever its place changes),
/// started and each step from the engine, then finished or failed from whoever asked for the generation (it knows
/// where the image went, and why a cancellation happened). Process-local pending state, kept apart from the
/// generation's data; the history lets a subscriber resume after the last event it saw. Step previews are made only
/// while a subscriber wants them, once per step whatever the number of subscribers.
/// </summary>
public sealed class GenerationFeed
{
    private const int PreviewQuality = 80;
    private readonly Lock _lock = new();
    private readonly List<GenerationEvent> _history = [];
    private readonly List<FeedSubscription> _subscribers = [];
    private int? _position;

    /// <summary>The final event once there is one.</summary>
    public GenerationEvent? Final
    {
        get
        {
            lock (_lock) return IsFinished ? _history[^1] : null;
        }
    }

    /// <summary>The latest event, and the latest step event: the state so far.</summary>
    public (GenerationEvent? Last, StepEvent? LastStep) Latest
    {
        get
        {
            lock (_lock) return (_history.Count > 0 ? _history[^1] : null, _history.FindLast(e => e is StepEvent) as StepEvent);
        }
    }

    /// <summary>Events after <paramref name="afterId"/> so far, then every new one, in order and without a gap; the
    /// subscription completes after the final event (at once for a generation that has ended).</summary>
    /// <param name="previews">Step events carry the latent preview (<see cref="StepEvent.Preview"/>).</param>
    /// <param name="decodeAt">Chooses the (step, steps) at which this subscriber gets <see cref="StepEvent.Decoded"/>.</param>
    public FeedSubscription Subscribe(long afterId = 0, bool previews = false, Func<int, int, bool>? decodeAt = null)
    {
        var subscription = new FeedSubscription(previews, decodeAt, Unsubscribe);
        lock (_lock)
        {
            foreach (var e in _history)
                if (e.Id > afterId) subscription.Deliver(previews || e is not StepEvent { Preview: not null } step ? e : step with { Preview = null });
            if (!IsFinished) _subscribers.Add(subscription);
            // Resuming after the end still learns how it ended.
            else if (afterId >= _history[^1].Id) subscription.Deliver(_history[^1]);
        }
        return subscription;
    }

    /// <summary>The generation succeeded; <paramref name="url"/> is where its first image was stored, if anywhere.</summary>
    public void Finish(string? url) => Publish(new FinishedEvent(url));

    public void Fail(FailureStatus status, string code, string message) => Publish(new FailedEvent(status, code, message));

    internal void Queued(int position, TimeSpan? eta)
    {
        lock (_lock)
        {
            if (_position == position) return;
            _position = position;
        }
        Publish(new QueuedEvent(position, eta));
    }

    internal void Started() => Publish(new StartedEvent());

    /// <summary>Whether the step about to run needs the x₀ estimate: someone wants its preview or its decode.</summary>
    internal bool WantsPreview(int step, int steps)
    {
        lock (_lock)
            return _subscribers.Exists(s => s.Previews || s.DecodeAt?.Invoke(step, steps) == true);
    }

    /// <summary>Publishes a step; <paramref name="preview"/> is the x₀ estimate when <see cref="WantsPreview"/> asked for it.</summary>
    internal void Step(int step, int steps, StepPreview? preview)
    {
        bool previews, decodes;
        lock (_lock)
        {
            previews = _subscribers.Exists(s => s.Previews);
            decodes = _subscribers.Exists(s => s.DecodeAt?.Invoke(step, steps) == true);
        }
        // Rendered outside the lock: a VAE decode takes a while, and subscribing must not wait for it.
        byte[]? jpeg = null;
        PixelImage? decoded = null;
        if (preview is not null)
        {
            if (previews && preview.Rgb() is { } rgb) jpeg = ImageCodec.Encode(rgb, ImageFormat.Jpeg, PreviewQuality);
            if (decodes) decoded = preview.Decode();
        }
        PublishStep(step, steps, jpeg, decoded);
    }

    /// <summary>Publishes an event that happened elsewhere, as a cluster node that runs the generation reported it; it is
    /// numbered here, in the order relayed. A queued event that repeats the place is dropped, as the engine's are.</summary>
    public void Relay(GenerationEvent e)
    {
        switch (e)
        {
            case QueuedEvent queued:
                Queued(queued.Position, queued.Eta);
                break;
            case StepEvent step:
                PublishStep(step.Step, step.Steps, step.Preview, null);
                break;
            default:
                Publish(e);
                break;
        }
    }

    private void PublishStep(int step, int steps, byte[]? jpeg, PixelImage? decoded)
    {
        lock (_lock)
        {
            if (IsFinished) return;
            var e = new StepEvent(step, steps) { Id = _history.Count + 1, Preview = jpeg };
            _history.Add(e);
            foreach (var subscriber in _subscribers)
            {
                var wantsDecode = decoded is not null && subscriber.DecodeAt?.Invoke(step, steps) == true;
                subscriber.Deliver(e with { Preview = subscriber.Previews ? jpeg : null, Decoded = wantsDecode ? decoded : null });
            }
        }
    }

    /// <summary>Numbers, keeps and delivers an event. Delivery is under the lock, so every subscriber sees the ids in
    /// order; it only writes to unbounded channels, whose readers continue elsewhere.</summary>
    private void Publish(GenerationEvent e)
    {
        lock (_lock)
        {
            if (IsFinished) return;
            e = e with { Id = _history.Count + 1 };
            _history.Add(e);
            foreach (var subscriber in _subscribers) subscriber.Deliver(e);
            if (e.IsFinal) _subscribers.Clear();
        }
    }

    /// <summary>Read under the lock.</summary>
    private bool IsFinished => _history.Count > 0 && _history[^1].IsFinal;

    private void Unsubscribe(FeedSubscription subscription)
    {
        lock (_lock) _subscribers.Remove(subscription);
    }
}
