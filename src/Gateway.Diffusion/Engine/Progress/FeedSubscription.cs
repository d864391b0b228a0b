using System.Threading.Channels;

namespace Gateway.Diffusion.Engine.Progress;

/// <summary>One subscriber's view of a <see cref="GenerationFeed"/>: the events after the id it resumed from, then the
/// live ones; the reader completes after the final event. Dispose to unsubscribe.</summary>
public sealed class FeedSubscription : IDisposable
{
    private readonly Channel<GenerationEvent> _channel =
        Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Action<FeedSubscription> _unsubscribe;

    internal FeedSubscription(bool previews, Func<int, int, bool>? decodeAt, Action<FeedSubscription> unsubscribe)
    {
        Previews = previews;
        DecodeAt = decodeAt;
        _unsubscribe = unsubscribe;
    }

    /// <summary>Whether step events carry the latent preview.</summary>
    public bool Previews { get; }

    /// <summary>Chooses the (step, steps) at which this subscriber gets a real VAE decode of the x₀ estimate.</summary>
    internal Func<int, int, bool>? DecodeAt { get; }

    public ChannelReader<GenerationEvent> Events => _channel.Reader;

    internal void Deliver(GenerationEvent e)
    {
        _channel.Writer.TryWrite(e);
        if (e.IsFinal) _channel.Writer.TryComplete();
    }

    public void Dispose()
    {
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}
