using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Imaging;

namespace Gateway.Diffusion.Tests.Progress;

public sealed class GenerationFeedTests
{
    private static List<GenerationEvent> Drain(FeedSubscription subscription)
    {
        var events = new List<GenerationEvent>();
        while (subscription.Events.TryRead(out var e)) events.Add(e);
        return events;
    }

    [Fact]
    public void Events_are_numbered_and_a_subscriber_resumes_after_the_id_it_saw()
    {
        var feed = new GenerationFeed();
        using var early = feed.Subscribe();
        feed.Queued(2, null);
        feed.Queued(2, TimeSpan.FromSeconds(3));
        feed.Queued(1, TimeSpan.FromSeconds(1));
        feed.Started();
        feed.Step(1, 2, null);
        using var late = feed.Subscribe(afterId: 3);
        feed.Step(2, 2, null);
        feed.Finish("http://x/images/a.png");
        feed.Fail(FailureStatus.Failed, "late", "ignored after the end");

        var all = Drain(early);
        // A repeated place is dropped; nothing follows the final event.
        Assert.Equal([typeof(QueuedEvent), typeof(QueuedEvent), typeof(StartedEvent), typeof(StepEvent), typeof(StepEvent), typeof(FinishedEvent)],
            all.Select(e => e.GetType()));
        Assert.Equal([1L, 2, 3, 4, 5, 6], all.Select(e => e.Id));
        Assert.True(early.Events.Completion.IsCompleted);
        Assert.Equal([4L, 5, 6], Drain(late).Select(e => e.Id));
        Assert.Equal("http://x/images/a.png", ((FinishedEvent)feed.Final!).Url);

        using var after = feed.Subscribe(afterId: 6);
        Assert.Equal([6L], Drain(after).Select(e => e.Id));
        Assert.True(after.Events.Completion.IsCompleted);
    }

    [Fact]
    public void Previews_are_rendered_once_and_only_while_someone_wants_them()
    {
        var feed = new GenerationFeed();
        var (rgbCalls, decodeCalls) = (0, 0);
        var preview = new StepPreview(() => { rgbCalls++; return new PixelImage(4, 4); }, () => { decodeCalls++; return new PixelImage(32, 32); });

        using var plain = feed.Subscribe();
        Assert.False(feed.WantsPreview(1, 4));
        feed.Step(1, 4, preview);
        Assert.Equal((0, 0), (rgbCalls, decodeCalls));

        using var watcher = feed.Subscribe(previews: true);
        using var another = feed.Subscribe(previews: true);
        using var streamer = feed.Subscribe(decodeAt: (step, _) => step == 3);
        Assert.True(feed.WantsPreview(2, 4));
        feed.Step(2, 4, preview);
        feed.Step(3, 4, preview);
        Assert.Equal((2, 1), (rgbCalls, decodeCalls));
        watcher.Dispose();
        another.Dispose();
        Assert.False(feed.WantsPreview(4, 4));
        Assert.True(feed.WantsPreview(3, 4));

        var seen = Drain(streamer).Cast<StepEvent>().ToList();
        Assert.All(seen, e => Assert.Null(e.Preview));
        Assert.Equal([3], seen.Where(e => e.Decoded is not null).Select(e => e.Step));
        var plainSteps = Drain(plain).Cast<StepEvent>().ToList();
        Assert.All(plainSteps, e => Assert.Null(e.Preview));
        Assert.All(plainSteps, e => Assert.Null(e.Decoded));
        // The history keeps the previews (as JPEG) for resuming subscribers, never the decoded images.
        using var resumed = feed.Subscribe(previews: true);
        var replayed = Drain(resumed).Cast<StepEvent>().ToList();
        Assert.Equal([false, true, true], replayed.Select(e => e.Preview is not null));
        Assert.All(replayed, e => Assert.Null(e.Decoded));
    }
}
