using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Engine.Progress;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Engine;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Progress;

/// <summary>The engine's events for one generation: positions while it waits, the start, each step with previews
/// when asked; previews never change the image.</summary>
public sealed class EngineProgressTests
{
    private static GenerationRequest Request(ulong seed) => new()
    {
        Model = "tiny-sd", Prompt = "a fox", Width = 128, Height = 96, Steps = 4, Seed = seed, Sampler = "Euler a", ImageCount = 2,
    };

    [Fact]
    public async Task A_waiting_generation_hears_its_place_then_its_start_and_steps_with_previews_of_its_first_image()
    {
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxBatchImages = 1 });
        engine.Load("tiny-sd");
        var plain = await engine.GenerateAsync(Request(7));

        var ahead = new GenerationFeed();
        var feed = new GenerationFeed();
        using var aheadEvents = ahead.Subscribe();
        using var events = feed.Subscribe(previews: true, decodeAt: (step, _) => step == 2);
        Task<GenerationResult> first, second;
        var options = new GenerationOptions();
        using (var blocker = new Blocker())
        {
            var running = blocker.Start(engine);
            first = engine.GenerateAsync(Request(1) with { ImageCount = 1 }, new GenerationOptions(), ahead);
            second = engine.GenerateAsync(Request(7), options, feed);
            Assert.Equal(2, engine.QueueStanding(options)?.Position);
            blocker.Release();
            await running;
        }
        await first;
        var result = await second;
        Assert.Equal(plain.Images.Select(i => i.Image.Rgba), result.Images.Select(i => i.Image.Rgba));

        var seen = new List<GenerationEvent>();
        while (events.Events.TryRead(out var e)) seen.Add(e);
        // Second in line, then first once the generation ahead started.
        Assert.Equal([2, 1], seen.OfType<QueuedEvent>().Select(q => q.Position));
        Assert.IsType<StartedEvent>(seen[2]);
        var steps = seen.OfType<StepEvent>().ToList();
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(4, s.Steps));
        foreach (var step in steps)
        {
            var preview = ImageCodec.Decode(step.Preview!, new ImageDecodeLimits());
            Assert.Equal((16, 12), (preview.Width, preview.Height));
        }
        var decoded = Assert.Single(steps, s => s.Decoded is not null).Decoded!;
        Assert.Equal((128, 96), (decoded.Width, decoded.Height));
        Assert.Null(engine.QueueStanding(options));

        var aheadSeen = new List<GenerationEvent>();
        while (aheadEvents.Events.TryRead(out var e)) aheadSeen.Add(e);
        Assert.Equal([1], aheadSeen.OfType<QueuedEvent>().Select(q => q.Position));
        Assert.All(aheadSeen.OfType<StepEvent>(), s => Assert.Null(s.Preview));
    }

    [Theory]
    [InlineData("tiny-sdxl")]
    [InlineData("tiny-flux-schnell")]
    public async Task Every_family_previews_its_latents_at_an_eighth_of_the_size(string model)
    {
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory });
        engine.Load(model);
        var feed = new GenerationFeed();
        using var events = feed.Subscribe(previews: true);
        await engine.GenerateAsync(new GenerationRequest { Model = model, Prompt = "a fox", Width = 128, Height = 64, Steps = 2, Seed = 3 },
            new GenerationOptions(), feed);
        var steps = new List<StepEvent>();
        while (events.Events.TryRead(out var e))
            if (e is StepEvent step) steps.Add(step);
        Assert.Equal(2, steps.Count);
        Assert.All(steps, s =>
        {
            var preview = ImageCodec.Decode(s.Preview!, new ImageDecodeLimits());
            Assert.Equal((16, 8), (preview.Width, preview.Height));
        });
    }
}
