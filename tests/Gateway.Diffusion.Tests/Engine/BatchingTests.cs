using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Engine;

public sealed class BatchingTests
{
    private static DiffusionEngine NewEngine(int? maxBatchImages = 8)
    {
        var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxBatchImages = maxBatchImages });
        engine.Load("tiny-sd");
        engine.Load("tiny-sd-fp16");
        return engine;
    }

    private static GenerationRequest Request(string prompt, ulong seed, string model = "tiny-sd") => new()
    {
        Model = model, Prompt = prompt, Width = 128, Height = 96, Steps = 6, Seed = seed, Sampler = "Euler a",
    };

    private static readonly GenerationRequest[] Mixed =
    [
        Request("a red fox", 1) with { Guidance = 7.5 },
        Request("a blue boat", 2) with { Guidance = 3.0, NegativePrompt = "blurry" },
        Request("a green hill", 5) with { Guidance = 9.0, ImageCount = 2 },
        Request("a red fox", 9) with { Guidance = 7.5 },
    ];

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-fp16")]
    public async Task Batched_requests_give_the_same_pixels_as_alone(string model)
    {
        var requests = Mixed.Select(r => r with { Model = model }).ToArray();
        using var engine = NewEngine();
        var alone = new List<GenerationResult>();
        foreach (var request in requests) alone.Add(await engine.GenerateAsync(request));
        Assert.All(alone, r => Assert.Equal(r.Images.Count, r.BatchSize));

        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var batched = requests.Select(r => engine.GenerateAsync(r)).ToArray();
        blocker.Release();
        await first;
        var results = await Task.WhenAll(batched);

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(5, results[i].BatchSize);
            Assert.Equal(alone[i].Images.Select(im => im.Seed), results[i].Images.Select(im => im.Seed));
            for (var k = 0; k < alone[i].Images.Count; k++)
                Assert.Equal(alone[i].Images[k].Image.Rgba, results[i].Images[k].Image.Rgba);
        }
    }

    [Fact]
    public async Task Image_to_image_requests_batch_with_their_own_input_images()
    {
        using var engine = NewEngine();
        var requests = new[]
        {
            Request("a", 1) with { InitImage = new InitImage(Solid(40, 200, 90), 0.5) },
            Request("b", 2) with { InitImage = new InitImage(Solid(200, 40, 40), 0.5) },
        };
        var alone = new List<PixelImage>();
        foreach (var request in requests) alone.Add((await engine.GenerateAsync(request)).Images[0].Image);

        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var batched = requests.Select(r => engine.GenerateAsync(r)).ToArray();
        blocker.Release();
        await first;
        var results = await Task.WhenAll(batched);
        Assert.All(results, r => Assert.Equal(2, r.BatchSize));
        Assert.Equal(alone[0].Rgba, results[0].Images[0].Image.Rgba);
        Assert.Equal(alone[1].Rgba, results[1].Images[0].Image.Rgba);
    }

    [Fact]
    public async Task Incompatible_requests_run_separately()
    {
        using var engine = NewEngine();
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var tasks = new[]
        {
            engine.GenerateAsync(Request("a", 1)),
            engine.GenerateAsync(Request("a", 1) with { Width = 64 }),
            engine.GenerateAsync(Request("a", 1) with { Steps = 5 }),
            engine.GenerateAsync(Request("a", 1) with { Sampler = "DDIM" }),
            engine.GenerateAsync(Request("a", 1) with { Guidance = 1.0 }),
            engine.GenerateAsync(Request("a", 1) with { Model = "tiny-sd-fp16" }),
        };
        blocker.Release();
        await first;
        Assert.All(await Task.WhenAll(tasks), r => Assert.Equal(1, r.BatchSize));
    }

    [Fact]
    public async Task On_the_cpu_requests_run_one_by_one_unless_batching_is_configured()
    {
        using var engine = NewEngine(maxBatchImages: null);
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var tasks = Enumerable.Range(0, 3).Select(i => engine.GenerateAsync(Request("a", (ulong)i))).ToArray();
        blocker.Release();
        await first;
        Assert.All(await Task.WhenAll(tasks), r => Assert.Equal(1, r.BatchSize));
    }

    [Fact]
    public async Task The_image_limit_caps_a_batch()
    {
        using var engine = NewEngine(maxBatchImages: 3);
        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        var tasks = Enumerable.Range(0, 5).Select(i => engine.GenerateAsync(Request("a", (ulong)i))).ToArray();
        blocker.Release();
        await first;
        var sizes = (await Task.WhenAll(tasks)).Select(r => r.BatchSize).ToArray();
        Assert.Equal([3, 3, 3, 2, 2], sizes);
    }

    [Fact]
    public async Task A_member_cancelled_mid_run_leaves_and_the_others_finish_unchanged()
    {
        using var engine = NewEngine();
        var keep = Request("a lighthouse", 3) with { Steps = 30 };
        var expected = (await engine.GenerateAsync(keep)).Images[0].Image;

        using var blocker = new Blocker();
        var first = blocker.Start(engine);
        using var cancel = new CancellationTokenSource();
        var leaving = engine.GenerateAsync(Request("a castle", 4) with { Steps = 30 }, new GenerationOptions
        {
            Progress = p => { if (p.Step == 5) cancel.Cancel(); },
        }, cancel.Token);
        var staying = engine.GenerateAsync(keep);
        blocker.Release();
        await first;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        var result = await staying;
        Assert.Equal(2, result.BatchSize);
        Assert.Equal(expected.Rgba, result.Images[0].Image.Rgba);
    }

    private static PixelImage Solid(byte r, byte g, byte b)
    {
        var image = new PixelImage(128, 96);
        for (var i = 0; i < image.Rgba.Length; i += 4)
            (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]) = (r, g, b, 255);
        return image;
    }

    [Theory]
    [InlineData("tiny-sd", "Euler a")]
    [InlineData("tiny-sd", "DPM++ 2M Karras")]
    [InlineData("tiny-sd", "LMS")]
    [InlineData("tiny-sd-fp16", "PNDM")]
    public async Task The_step_loop_allocates_nothing_managed(string model, string sampler)
    {
        using var engine = NewEngine();
        var marks = new List<long>();
        var request = Request("a fox", 1, model) with { Steps = 25, Sampler = sampler, ImageCount = 2 };
        await engine.GenerateAsync(request, new GenerationOptions
        {
            // Progress runs on the worker thread between steps, so the marks count exactly what steps allocate;
            // multistep schedulers fill their history buffers during the first four.
            Progress = p =>
            {
                if (p.Step >= 5 && p.Step % 5 == 0) marks.Add(GC.GetAllocatedBytesForCurrentThread());
            },
        });
        // Four windows of five steps: code that allocates per step shows in all of them, a one-off runtime
        // allocation (a tier-up of the JIT under a loaded test run) in one at most.
        var windows = marks.Zip(marks.Skip(1), (a, b) => b - a).ToList();
        Assert.Equal(4, windows.Count);
        Assert.Equal(0, windows.Min());
    }
}
