using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Engine;

/// <summary>One engine with the models the LoRA tests use.</summary>
public sealed class LoraEngineFixture : IDisposable
{
    public DiffusionEngine Engine { get; } = LoraEngineTests.NewEngine(new ListLogger(), "tiny-sd", "tiny-sdxl", "tiny-sd-pixel", "tiny-sdxl-logo");

    public void Dispose() => Engine.Dispose();
}

/// <summary>LoRA per request on the tiny models: merged weights in sessions of their own, never in the base model's.</summary>
public sealed class LoraEngineTests(LoraEngineFixture fixture) : IClassFixture<LoraEngineFixture>
{
    private readonly DiffusionEngine _engine = fixture.Engine;

    internal static DiffusionEngine NewEngine(ListLogger log, params string[] models)
    {
        var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxBatchImages = 8 },
            new SingleLoggerFactory(log));
        foreach (var id in models) engine.Load(id);
        return engine;
    }

    private static GenerationRequest Sd(IReadOnlyDictionary<string, double>? loras = null, string model = "tiny-sd") => new()
    {
        Model = model, Prompt = "a red fox", Width = 64, Height = 64, Steps = 4, Seed = 3, Loras = loras,
    };

    private Task<byte[]> Rgba(GenerationRequest request) => Rgba(_engine, request);

    private static async Task<byte[]> Rgba(DiffusionEngine engine, GenerationRequest request) =>
        (await engine.GenerateAsync(request)).Images[0].Image.Rgba;

    [Fact]
    public async Task A_lora_changes_the_image_weight_zero_is_the_base_and_nothing_leaks_into_later_requests()
    {
        var log = new ListLogger();
        using var engine = NewEngine(log, "tiny-sd");
        Task<byte[]> Rgba(GenerationRequest request) => LoraEngineTests.Rgba(engine, request);
        var before = await Rgba(Sd());
        var withLora = await Rgba(Sd(new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.8 }));
        var zero = await Rgba(Sd(new Dictionary<string, double> { ["tiny-sd-kohya"] = 0 }));
        var after = await Rgba(Sd());
        var again = await Rgba(Sd(new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.8 }));

        Assert.NotEqual(before, withLora);
        Assert.Equal(before, zero);
        Assert.Equal(before, after);
        Assert.Equal(withLora, again);
        Assert.Single(log.Messages, m => m.StartsWith("Prepared LoRA set tiny-sd-kohya:0.8 for model tiny-sd in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_loras_on_sdxl_differ_from_each_alone()
    {
        GenerationRequest Xl(Dictionary<string, double>? loras) => new()
        {
            Model = "tiny-sdxl", Prompt = "a logo", Width = 64, Height = 64, Steps = 3, Seed = 5, Loras = loras,
        };
        var plain = await Rgba(Xl(null));
        var kohya = await Rgba(Xl(new() { ["tiny-sdxl-kohya"] = 0.7 }));
        var peft = await Rgba(Xl(new() { ["tiny-sdxl-peft"] = 0.6 }));
        var both = await Rgba(Xl(new() { ["tiny-sdxl-kohya"] = 0.7, ["tiny-sdxl-peft"] = 0.6 }));
        Assert.Equal(4, new[] { plain, kohya, peft, both }.Select(Convert.ToBase64String).Distinct().Count());
        Assert.Equal(plain, await Rgba(Xl(null)));
    }

    [Fact]
    public async Task A_composite_model_is_its_base_with_its_lora()
    {
        // tiny-sd-pixel: tiny-sd + tiny-sd-kohya at 0.8, with "pixel art" in front of prompts that lack it.
        var composite = await Rgba(Sd(model: "tiny-sd-pixel"));
        var byHand = await Rgba(Sd(new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.8 }) with { Prompt = "pixel art, a red fox" });
        Assert.Equal(byHand, composite);
        Assert.Equal(await Rgba(Sd() with { Prompt = "pixel art, a red fox" }),
            await Rgba(Sd(new Dictionary<string, double> { ["tiny-sd-kohya"] = 0 }, "tiny-sd-pixel")));
    }

    [Fact]
    public async Task An_sdxl_composite_puts_its_lora_trigger_word_in_front_of_the_prompt()
    {
        GenerationRequest Xl(string model, string prompt, Dictionary<string, double>? loras = null) => new()
        {
            Model = model, Prompt = prompt, Width = 64, Height = 64, Steps = 3, Seed = 8, Loras = loras,
        };
        var composite = await Rgba(Xl("tiny-sdxl-logo", "a cat"));
        Assert.Equal(await Rgba(Xl("tiny-sdxl", "logo, a cat", new() { ["tiny-sdxl-kohya"] = 0.7 })), composite);
        Assert.NotEqual(await Rgba(Xl("tiny-sdxl", "a cat", new() { ["tiny-sdxl-kohya"] = 0.7 })), composite);
    }

    [Fact]
    public async Task Different_lora_sets_never_share_a_unet_call_and_the_same_set_does()
    {
        var set = new Dictionary<string, double> { ["tiny-sd-peft"] = 1.0 };
        using var blocker = new Blocker();
        var first = blocker.Start(_engine);
        var tasks = new[]
        {
            _engine.GenerateAsync(Sd(set)), _engine.GenerateAsync(Sd() with { Seed = 4 }), _engine.GenerateAsync(Sd(set) with { Seed = 5 }),
        };
        blocker.Release();
        await first;
        var results = await Task.WhenAll(tasks);
        Assert.Equal([2, 1, 2], results.Select(r => r.BatchSize));
    }

    public static TheoryData<string, Dictionary<string, double>> Refused() => new()
    {
        { "unknown", new() { ["no-such-lora"] = 1 } },
        { "other family", new() { ["tiny-sdxl-kohya"] = 1 } },
        { "weight above 2", new() { ["tiny-sd-kohya"] = 2.5 } },
        { "weight below -2", new() { ["tiny-sd-kohya"] = -2.01 } },
        { "not a number", new() { ["tiny-sd-kohya"] = double.NaN } },
        { "too many", new() { ["tiny-sd-kohya"] = 1, ["tiny-sd-peft"] = 1, ["a"] = 1, ["b"] = 1, ["c"] = 1, ["d"] = 1 } },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Bad_lora_requests_are_refused_naming_loras(string why, Dictionary<string, double> loras)
    {
        var e = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Sd(loras)));
        Assert.Equal("loras", e.Param);
        Assert.False(string.IsNullOrEmpty(why));
    }
}
