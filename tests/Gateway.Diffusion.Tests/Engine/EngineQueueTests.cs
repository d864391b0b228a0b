using System.Collections.Concurrent;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Engine;

public sealed class EngineQueueTests
{
    private static DiffusionEngine NewEngine(int maxQueueLength = 64)
    {
        var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxQueueLength = maxQueueLength });
        engine.Load("tiny-sd");
        return engine;
    }

    private static GenerationRequest Small(int steps = 1, int size = 64) => new()
    {
        Model = "tiny-sd", Prompt = "a cat", Width = size, Height = size, Steps = steps, Seed = 1,
    };

    [Fact]
    public async Task Higher_priority_runs_first_and_equal_priorities_in_arrival_order()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var order = new ConcurrentQueue<string>();
        GenerationOptions Named(string name, int priority) => new() { Priority = priority, Started = () => order.Enqueue(name) };
        var tasks = new[]
        {
            engine.GenerateAsync(Small(), Named("p1-a", 1)),
            engine.GenerateAsync(Small(), Named("p5", 5)),
            engine.GenerateAsync(Small(), Named("p1-b", 1)),
            engine.GenerateAsync(Small(), Named("p3", 3)),
        };
        blocker.Release();
        await Task.WhenAll(tasks.Append(first));
        Assert.Equal(["p5", "p3", "p1-a", "p1-b"], order);
    }

    [Fact]
    public async Task Two_clients_at_the_same_priority_take_turns()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var order = new ConcurrentQueue<string>();
        var tasks = new List<Task>();
        foreach (var i in Enumerable.Range(1, 4))
            tasks.Add(engine.GenerateAsync(Small(), new GenerationOptions { Client = "flood", Started = () => order.Enqueue($"flood{i}") }));
        foreach (var i in Enumerable.Range(1, 2))
            tasks.Add(engine.GenerateAsync(Small(), new GenerationOptions { Client = "other", Started = () => order.Enqueue($"other{i}") }));
        blocker.Release();
        await Task.WhenAll(tasks.Append(first));
        Assert.Equal(["flood1", "other1", "flood2", "other2", "flood3", "flood4"], order);
    }

    [Fact]
    public async Task Queue_positions_follow_dispatch_order()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var low = new GenerationOptions { Priority = 1 };
        var high = new GenerationOptions { Priority = 2 };
        var tasks = new[] { engine.GenerateAsync(Small(), low), engine.GenerateAsync(Small(), high) };
        Assert.Equal(2, engine.QueuePosition(low));
        Assert.Equal(1, engine.QueuePosition(high));
        Assert.Equal(2, engine.QueueLength);
        blocker.Release();
        await Task.WhenAll(tasks.Append(first));
        Assert.Null(engine.QueuePosition(low));
    }

    [Fact]
    public async Task A_full_queue_refuses_with_a_retry_hint()
    {
        using var engine = NewEngine(maxQueueLength: 2);
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var queued = new[] { engine.GenerateAsync(Small()), engine.GenerateAsync(Small()) };
        var error = await Assert.ThrowsAsync<QueueFullException>(() => engine.GenerateAsync(Small()));
        Assert.True(error.RetryAfter >= TimeSpan.FromSeconds(1));
        blocker.Release();
        await Task.WhenAll(queued.Append(first));
    }

    [Fact]
    public async Task A_full_queue_hints_the_estimated_wait_not_a_fixed_second()
    {
        using var engine = NewEngine(maxQueueLength: 2);
        // Teach the cost estimator what a run of this model costs.
        var timed = new List<TimeSpan>();
        for (var i = 0; i < 3; i++) timed.Add((await engine.GenerateAsync(Small())).Timings.Total);
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var big = Small() with { Width = 256, Height = 256, Steps = 40 };
        var queued = new[] { engine.GenerateAsync(big), engine.GenerateAsync(big) };
        var error = await Assert.ThrowsAsync<QueueFullException>(() => engine.GenerateAsync(Small()));
        blocker.Release();
        await Task.WhenAll(queued.Append(first));
        // Two queued runs of 16× the pixels and 40× the steps of the learned ones: the hint is their estimated time.
        Assert.True(error.RetryAfter > TimeSpan.FromSeconds(1), $"Retry-After {error.RetryAfter}, learned runs {string.Join(", ", timed)}");
    }

    [Fact]
    public async Task A_queued_request_cancelled_by_its_client_is_answered_at_once_and_never_runs()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        using var cancel = new CancellationTokenSource();
        var started = false;
        var queued = engine.GenerateAsync(Small(), new GenerationOptions { Started = () => started = true }, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal(0, engine.QueueLength);
        blocker.Release();
        await first;
        Assert.False(started);
    }

    [Fact]
    public async Task A_deadline_that_passes_mid_run_stops_the_generation()
    {
        using var engine = NewEngine();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(3);
        var steps = 0;
        var run = engine.GenerateAsync(Small(steps: 50, size: 128), new GenerationOptions
        {
            Deadline = deadline,
            Progress = p =>
            {
                steps = p.Step;
                // Hold the run at step 2 until the deadline has passed, whatever the machine's speed.
                if (p.Step == 2) Thread.Sleep(TimeSpan.FromTicks(Math.Max(0, (deadline - DateTimeOffset.UtcNow).Ticks)) + TimeSpan.FromMilliseconds(50));
            },
        });
        await Assert.ThrowsAsync<DeadlineExceededException>(() => run);
        Assert.Equal(2, steps);
    }

    [Fact]
    public async Task A_deadline_that_passes_in_the_queue_expires_the_request()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var queued = engine.GenerateAsync(Small(), new GenerationOptions { Deadline = DateTimeOffset.UtcNow.AddMilliseconds(100) });
        await Assert.ThrowsAsync<DeadlineExceededException>(() => queued);
        blocker.Release();
        await first;
    }

    [Fact]
    public async Task A_deadline_the_queue_cannot_meet_is_refused_before_any_work()
    {
        using var engine = NewEngine();
        await engine.GenerateAsync(Small(steps: 20, size: 512)); // teaches the estimator this model's speed
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var ahead = Enumerable.Range(0, 6).Select(_ => engine.GenerateAsync(Small(steps: 20, size: 512))).ToArray();
        var started = false;
        var error = await Assert.ThrowsAsync<DeadlineUnreachableException>(() => engine.GenerateAsync(Small(steps: 20, size: 512),
            new GenerationOptions { Deadline = DateTimeOffset.UtcNow.AddMilliseconds(150), Started = () => started = true }));
        Assert.True(error.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.False(started);
        // A higher priority does not wait for the lower ones, so its estimate is shorter; a past deadline is always refused.
        await Assert.ThrowsAsync<DeadlineUnreachableException>(() => engine.GenerateAsync(Small(),
            new GenerationOptions { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) }));
        blocker.Release();
        await Task.WhenAll(ahead.Append(first));
    }

    [Fact]
    public async Task Invalid_requests_are_refused_before_queueing()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => engine.GenerateAsync(Small() with { Width = 65 }));
        Assert.Equal("width", error.Param);
        Assert.Equal(0, engine.QueueLength);
        blocker.Release();
        await first;
    }

    [Fact]
    public async Task Disposing_the_engine_fails_waiting_requests()
    {
        var engine = NewEngine();
        var blocker = new Blocker();
        var first = blocker.Start(engine);
        var waiting = engine.GenerateAsync(Small());
        var disposing = Task.Run(engine.Dispose);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        blocker.Release();
        await disposing;
        await first;
    }
}
