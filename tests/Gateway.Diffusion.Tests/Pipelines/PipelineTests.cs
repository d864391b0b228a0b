using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Schedulers;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Pipelines;

[Collection(EngineCollection.Name)]
public sealed class PipelineTests(EngineFixture fixture)
{
    private readonly DiffusionEngine _engine = fixture.Engine;

    private static GenerationRequest Request(string model = "tiny-sd", ulong seed = 42, int width = 128, int height = 128,
        int steps = 4, string prompt = "a red fox in the snow") => new()
    {
        Model = model,
        Prompt = prompt,
        Width = width,
        Height = height,
        Steps = steps,
        Seed = seed,
    };

    private async Task<PixelImage> Render(GenerationRequest request) => (await _engine.GenerateAsync(request)).Images[0].Image;

    [Fact]
    public async Task Same_seed_gives_identical_pixels_and_another_seed_differs()
    {
        var first = await Render(Request(seed: 42));
        var again = await Render(Request(seed: 42));
        var other = await Render(Request(seed: 43));
        Assert.Equal(first.Rgba, again.Rgba);
        Assert.NotEqual(first.Rgba, other.Rgba);
    }

    [Fact]
    public async Task The_prompt_and_the_negative_prompt_change_the_image()
    {
        var fox = await Render(Request(prompt: "a red fox in the snow"));
        var boat = await Render(Request(prompt: "a sailing boat at dawn"));
        var negative = await Render(Request() with { NegativePrompt = "blurry" });
        Assert.NotEqual(fox.Rgba, boat.Rgba);
        Assert.NotEqual(fox.Rgba, negative.Rgba);
    }

    [Theory]
    [InlineData(512, 512)]
    [InlineData(768, 512)]
    [InlineData(512, 768)]
    [InlineData(136, 64)]
    public async Task Images_have_the_requested_size(int width, int height)
    {
        var image = await Render(Request(width: width, height: height, steps: 2));
        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
    }

    [Fact]
    public async Task The_image_is_not_flat()
    {
        var image = await Render(Request());
        var distinct = new HashSet<int>();
        for (var i = 0; i < image.Rgba.Length; i += 4)
            distinct.Add(image.Rgba[i] << 16 | image.Rgba[i + 1] << 8 | image.Rgba[i + 2]);
        Assert.True(distinct.Count > 100, $"only {distinct.Count} colours");
    }

    [Fact]
    public async Task Fp16_model_with_int64_scalar_timestep_renders_deterministically()
    {
        var first = await Render(Request(model: "tiny-sd-fp16"));
        var again = await Render(Request(model: "tiny-sd-fp16"));
        Assert.Equal(first.Rgba, again.Rgba);
        Assert.Equal(128, first.Width);
    }

    [Fact]
    public async Task Every_noise_prediction_sampler_renders()
    {
        foreach (var sampler in SchedulerFactory.Names.Where(n => !SchedulerFactory.IsFlowMatch(n)))
        {
            var result = await _engine.GenerateAsync(Request(steps: 3) with { Sampler = sampler });
            Assert.Single(result.Images);
            Assert.Equal(sampler, result.Sampler);
        }
    }

    [Fact]
    public async Task The_flow_matching_sampler_is_refused_on_a_noise_prediction_model()
    {
        var error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            _engine.GenerateAsync(Request() with { Sampler = "Flow Euler" }));
        Assert.Equal("sampler", error.Param);
        Assert.Contains("Flux", error.Message);
    }

    [Fact]
    public async Task Samplers_give_different_images()
    {
        var euler = await Render(Request() with { Sampler = "Euler" });
        var ddim = await Render(Request() with { Sampler = "DDIM" });
        Assert.NotEqual(euler.Rgba, ddim.Rgba);
    }

    [Fact]
    public async Task Defaults_come_from_the_catalog_and_the_scheduler_config()
    {
        var result = await _engine.GenerateAsync(Request() with { Steps = null });
        Assert.Equal(20, result.Steps);
        Assert.Equal(7.5, result.Guidance);
        Assert.Equal("PNDM", result.Sampler);
    }

    [Fact]
    public async Task Guidance_at_most_one_skips_the_unconditional_half()
    {
        var plain = await _engine.GenerateAsync(Request() with { Guidance = 1.0 });
        var guided = await _engine.GenerateAsync(Request() with { Guidance = 7.5 });
        Assert.NotEqual(plain.Images[0].Image.Rgba, guided.Images[0].Image.Rgba);
        // Without guidance the negative prompt has no say.
        var withNegative = await _engine.GenerateAsync(Request() with { Guidance = 1.0, NegativePrompt = "blurry" });
        Assert.Equal(plain.Images[0].Image.Rgba, withNegative.Images[0].Image.Rgba);
    }

    [Fact]
    public async Task Several_images_use_consecutive_seeds_and_match_single_runs()
    {
        var batch = await _engine.GenerateAsync(Request(seed: 7) with { ImageCount = 3 });
        Assert.Equal([7UL, 8UL, 9UL], batch.Images.Select(i => i.Seed));
        var alone = await Render(Request(seed: 8));
        Assert.Equal(alone.Rgba, batch.Images[1].Image.Rgba);
        Assert.NotEqual(batch.Images[0].Image.Rgba, batch.Images[2].Image.Rgba);
    }

    [Fact]
    public async Task An_overlong_prompt_is_truncated_with_a_warning()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("castle", 100));
        var result = await _engine.GenerateAsync(Request(prompt: prompt));
        Assert.Contains(result.Warnings, w => w.Contains("only the first 75"));
    }

    [Fact]
    public async Task Progress_is_reported_for_every_step()
    {
        var reports = new List<GenerationProgress>();
        await _engine.GenerateAsync(Request(steps: 5), new GenerationOptions { Progress = reports.Add });
        Assert.Equal(Enumerable.Range(1, 5), reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(5, r.Steps));
    }

    [Fact]
    public async Task Cancellation_stops_a_run_mid_way()
    {
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        var run = _engine.GenerateAsync(Request(steps: 50), new GenerationOptions
        {
            Progress = p =>
            {
                steps = p.Step;
                if (p.Step == 3) cancel.Cancel();
            },
        }, cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.InRange(steps, 3, 4);
        // The engine goes on serving.
        Assert.Single((await _engine.GenerateAsync(Request(steps: 1))).Images);
    }

    [Fact]
    public async Task A_request_cancelled_before_it_runs_never_starts()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _engine.GenerateAsync(Request(), null, cancel.Token));
    }

    [Theory]
    [InlineData(100, 128, "width")]
    [InlineData(128, 60, "height")]
    [InlineData(4096, 128, "width")]
    public async Task Bad_sizes_name_the_parameter(int width, int height, string param)
    {
        var error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Request(width: width, height: height)));
        Assert.Equal(param, error.Param);
    }

    [Fact]
    public async Task Bad_steps_sampler_and_guidance_name_the_parameter()
    {
        Assert.Equal("steps", (await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Request(steps: 0)))).Param);
        var sampler = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Request() with { Sampler = "Heun++" }));
        Assert.Equal("sampler", sampler.Param);
        Assert.Contains("Euler a", sampler.Message);
        Assert.Equal("guidance", (await Assert.ThrowsAsync<InvalidGenerationRequestException>(() => _engine.GenerateAsync(Request() with { Guidance = double.NaN }))).Param);
    }

    [Fact]
    public async Task Unknown_model_is_reported_with_the_available_ones()
    {
        var error = await Assert.ThrowsAsync<UnknownModelException>(() => _engine.GenerateAsync(Request(model: "sd-99")));
        Assert.Contains("tiny-sd", error.Message);
    }

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-fp16")]
    public async Task Image_to_image_keeps_the_input_at_strength_zero_and_replaces_it_at_one(string model)
    {
        var gradient = Gradient(128, 128);
        var solid = Solid(128, 128, 30, 200, 90);
        Task<PixelImage> At(PixelImage input, double strength) => Render(Request(model: model) with { InitImage = new InitImage(input, strength) });

        // The tiny VAE's encoder and decoder nearly invert each other (tools/forge), so strength 0 is the input
        // after an 8× blur; strength 1 starts from almost pure noise.
        var kept = await At(gradient, 0.0);
        Assert.InRange(MeanAbsoluteDifference(kept, gradient), 0, 12);
        Assert.InRange(MeanAbsoluteDifference(await At(solid, 0.0), solid), 0, 12);

        var halfway = await At(gradient, 0.5);
        var replacedGradient = await At(gradient, 1.0);
        var replacedSolid = await At(solid, 1.0);
        Assert.True(MeanAbsoluteDifference(halfway, gradient) > MeanAbsoluteDifference(kept, gradient));
        Assert.True(MeanAbsoluteDifference(replacedGradient, replacedSolid) < MeanAbsoluteDifference(gradient, solid) / 4,
            "at strength 1 the input should hardly matter");
    }

    private static double MeanAbsoluteDifference(PixelImage a, PixelImage b)
    {
        long sum = 0;
        for (var i = 0; i < a.Rgba.Length; i++)
            if (i % 4 != 3) sum += Math.Abs(a.Rgba[i] - b.Rgba[i]);
        return sum / (a.Rgba.Length * 0.75);
    }

    [Fact]
    public async Task Image_to_image_depends_on_the_input()
    {
        var a = await Render(Request() with { InitImage = new InitImage(Gradient(128, 128), 0.5) });
        var b = await Render(Request() with { InitImage = new InitImage(Solid(128, 128, 30, 200, 90), 0.5) });
        Assert.NotEqual(a.Rgba, b.Rgba);
    }

    [Fact]
    public async Task Image_to_image_resizes_the_input_to_the_requested_size()
    {
        var image = await Render(Request(width: 192, height: 128) with { InitImage = new InitImage(Gradient(300, 200), 0.6) });
        Assert.Equal((192, 128), (image.Width, image.Height));
    }

    [Fact]
    public async Task Strength_outside_zero_to_one_is_refused()
    {
        var error = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            _engine.GenerateAsync(Request() with { InitImage = new InitImage(Gradient(128, 128), 1.5) }));
        Assert.Equal("strength", error.Param);
    }

    [Fact]
    public async Task Timings_account_for_the_work()
    {
        var result = await _engine.GenerateAsync(Request());
        var t = result.Timings;
        Assert.True(t.InsideOnnx > TimeSpan.Zero);
        Assert.True(t.InsideOnnx <= t.Total);
        Assert.True(t.TextEncoding + t.Denoising + t.Decoding <= t.Total);
    }

    private static PixelImage Gradient(int width, int height)
    {
        var image = new PixelImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var i = 4 * (y * width + x);
                image.Rgba[i] = (byte)(255 * x / width);
                image.Rgba[i + 1] = (byte)(255 * y / height);
                image.Rgba[i + 2] = 128;
                image.Rgba[i + 3] = 255;
            }
        return image;
    }

    private static PixelImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var image = new PixelImage(width, height);
        for (var i = 0; i < image.Rgba.Length; i += 4)
            (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]) = (r, g, b, 255);
        return image;
    }
}
