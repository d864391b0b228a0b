using Gateway.Diffusion.Control;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Engine;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Control;

/// <summary>One engine with tiny-sd, tiny-sdxl and the catalog's ControlNets.</summary>
public sealed class ControlNetEngineFixture : IDisposable
{
    public ControlNetEngineFixture()
    {
        Engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, MaxBatchImages = 8 });
        Engine.Load("tiny-sd");
        Engine.Load("tiny-sdxl");
        Engine.LoadControlNets();
    }

    public DiffusionEngine Engine { get; }

    public void Dispose() => Engine.Dispose();
}

/// <summary>ControlNet through the engine on the tiny models: the residuals steer the UNet, per seed deterministically,
/// and scale 0 is exactly the ControlNet UNet with zero residuals, which is exactly the plain model.</summary>
public sealed class ControlNetEngineTests(ControlNetEngineFixture fixture) : IClassFixture<ControlNetEngineFixture>
{
    private readonly DiffusionEngine _engine = fixture.Engine;

    /// <summary>A picture with hard edges: a bright square and a bar on a dark gradient.</summary>
    internal static PixelImage Shapes(int width = 128, int height = 128)
    {
        var image = new PixelImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var inSquare = x > width / 4 && x < width / 2 && y > height / 4 && y < 3 * height / 4;
                var inBar = y > 3 * height / 4 + 4 && y < 3 * height / 4 + 12;
                var value = inSquare || inBar ? 240 : 20 + 60 * x / width;
                var offset = 4 * (y * width + x);
                image.Rgba[offset] = (byte)value;
                image.Rgba[offset + 1] = (byte)(inSquare ? 60 : value);
                image.Rgba[offset + 2] = (byte)value;
                image.Rgba[offset + 3] = 255;
            }
        return image;
    }

    private static GenerationRequest Sd(ControlNetRequest? control = null, ulong seed = 5, string model = "tiny-sd") => new()
    {
        Model = model, Prompt = "a house on a hill", Width = 128, Height = 128, Steps = 4, Seed = seed, Guidance = 7.5, ControlNet = control,
    };

    private static ControlNetRequest Canny(double? scale = null, string name = "tiny-sd-canny") => new() { Name = name, Image = Shapes(), Scale = scale };

    private async Task<byte[]> Rgba(GenerationRequest request) => (await _engine.GenerateAsync(request)).Images[0].Image.Rgba;

    [Fact]
    public async Task A_canny_controlnet_changes_the_image_and_the_same_seed_gives_the_same_bytes()
    {
        var plain = await Rgba(Sd());
        var controlled = await Rgba(Sd(Canny()));
        var again = await Rgba(Sd(Canny()));
        var otherSeed = await Rgba(Sd(Canny(), seed: 6));
        var stronger = await Rgba(Sd(Canny(scale: 2)));

        Assert.NotEqual(plain, controlled);
        Assert.Equal(controlled, again);
        Assert.NotEqual(controlled, otherSeed);
        Assert.NotEqual(controlled, stronger);
    }

    [Fact]
    public async Task Scale_zero_equals_the_controlnet_unet_with_zero_residuals_and_the_plain_model()
    {
        var scaleZero = await Rgba(Sd(Canny(scale: 0)));
        // A guidance window no step falls into: the ControlNet UNet runs every step with residual tensors of zeros.
        var zeroResiduals = await Rgba(Sd(Canny() with { GuidanceStart = 0.99, GuidanceEnd = 1 }));
        var plain = await Rgba(Sd());

        Assert.Equal(zeroResiduals, scaleZero);
        Assert.Equal(plain, scaleZero);
    }

    [Fact]
    public async Task The_guidance_window_steers_only_its_part_of_the_schedule()
    {
        var whole = await Rgba(Sd(Canny()));
        var firstHalf = await Rgba(Sd(Canny() with { GuidanceEnd = 0.5 }));
        var plain = await Rgba(Sd());

        Assert.NotEqual(whole, firstHalf);
        Assert.NotEqual(plain, firstHalf);
    }

    [Fact]
    public async Task A_control_type_picks_the_models_controlnet_and_annotators_preprocess_the_image()
    {
        Assert.Equal(await Rgba(Sd(Canny())), await Rgba(Sd(Canny(name: "canny"))));
        var depth = await Rgba(Sd(Canny(name: "depth")));
        var depthRaw = await Rgba(Sd(Canny(name: "depth") with { Preprocess = false }));
        var softedge = await Rgba(Sd(Canny(name: "tiny-sd-softedge")));
        var openpose = await Rgba(Sd(Canny(name: "openpose")));

        Assert.NotEqual(depth, depthRaw);
        Assert.NotEqual(depth, softedge);
        Assert.NotEqual(softedge, openpose);
    }

    [Fact]
    public async Task Canny_thresholds_change_the_map()
    {
        var defaults = await Rgba(Sd(Canny()));
        // The picture's steps give Sobel magnitudes up to 880: above a high threshold of 1000 no edge is left.
        var none = await Rgba(Sd(Canny() with { CannyLow = 900, CannyHigh = 1000 }));
        Assert.NotEqual(defaults, none);
    }

    [Fact]
    public async Task Sdxl_runs_its_controlnet_on_both_guidance_halves()
    {
        GenerationRequest Xl(ControlNetRequest? control) => Sd(control, model: "tiny-sdxl") with { Guidance = 5.0 };
        var plain = await Rgba(Xl(null));
        var controlled = await Rgba(Xl(Canny(name: "tiny-sdxl-canny")));
        var scaleZero = await Rgba(Xl(Canny(scale: 0, name: "canny")));

        Assert.NotEqual(plain, controlled);
        Assert.Equal(plain, scaleZero);
    }

    [Fact]
    public async Task Requests_share_unet_calls_only_with_the_same_controlnet_and_control_image()
    {
        var otherImage = Canny() with { Image = Shapes(96, 128) };
        GenerationRequest[] requests =
        [
            Sd(Canny(), seed: 1), Sd(Canny(), seed: 2) with { Prompt = "a boat" }, Sd(otherImage, seed: 3),
            Sd(Canny(scale: 0.5), seed: 4), Sd(Canny(name: "depth"), seed: 5), Sd(seed: 6),
        ];
        var alone = new List<byte[]>();
        foreach (var request in requests) alone.Add(await Rgba(request));

        using var blocker = new Blocker();
        var first = blocker.Start(_engine);
        var batched = requests.Select(r => _engine.GenerateAsync(r)).ToArray();
        blocker.Release();
        await first;
        var results = await Task.WhenAll(batched);

        Assert.Equal([2, 2, 1, 1, 1, 1], results.Select(r => r.BatchSize));
        for (var i = 0; i < requests.Length; i++) Assert.Equal(alone[i], results[i].Images[0].Image.Rgba);
    }

    [Fact]
    public async Task Requests_with_other_controlnets_or_images_are_refused_or_kept_apart()
    {
        var wrongFamily = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Sd(Canny(name: "tiny-sdxl-canny"))));
        Assert.Equal("controlnet", wrongFamily.Param);
        Assert.Contains("sdxl ControlNet", wrongFamily.Message);
        var unknown = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Sd(Canny(name: "scribble"))));
        Assert.Equal("controlnet", unknown.Param);
        Assert.Contains("tiny-sd-canny (canny)", unknown.Message);
        var scale = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Sd(Canny(scale: 2.5))));
        Assert.Equal("controlnet_scale", scale.Param);
        var lora = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            _engine.GenerateAsync(Sd(Canny()) with { Loras = new Dictionary<string, double> { ["tiny-sd-kohya"] = 0.8 } }));
        Assert.Equal("loras", lora.Param);
    }
}
