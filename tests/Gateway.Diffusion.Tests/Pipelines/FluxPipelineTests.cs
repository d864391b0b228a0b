using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Noise;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Pipelines.Flux;
using Gateway.Diffusion.Schedulers;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Pipelines;

/// <summary>What the tiny Flux transformers receive at every step, read from their bound inputs, and what Flux refuses.</summary>
public sealed class FluxPipelineTests : IClassFixture<FluxPipelineTests.Models>
{
    private readonly Models _models;

    public FluxPipelineTests(Models models) => _models = models;

    public sealed class Models : IDisposable
    {
        private readonly OnnxSessionFactory _sessions = new(new OnnxOptions());
        private readonly ModelCatalog _catalog = ModelCatalog.Load(TestModels.Directory);

        public Models()
        {
            Schnell = ModelLoader.Load(Entry("tiny-flux-schnell"), _sessions);
            Dev = ModelLoader.Load(Entry("tiny-flux-dev"), _sessions);
        }

        internal LoadedModel Schnell { get; }
        internal LoadedModel Dev { get; }

        internal ModelCatalogEntry Entry(string id)
        {
            Assert.True(_catalog.TryGet(id, out var entry));
            return entry;
        }

        internal LoadedModel Load(ModelCatalogEntry entry) => ModelLoader.Load(entry, _sessions);

        public void Dispose()
        {
            Schnell.Dispose();
            Dev.Dispose();
        }
    }

    private static GenerationRequest Request(string model = "tiny-flux-schnell") => new()
    {
        Model = model, Prompt = "a lighthouse at dusk", Width = 128, Height = 96, Steps = 4, Seed = 7,
    };

    private static (Recorder Recorder, GenerationResult Result) Run(LoadedModel model, GenerationRequest request)
    {
        var resolved = RequestValidator.Validate(model, request);
        var recorder = new Recorder();
        var result = GenerationRun.Run(model, [new BatchMember(request, resolved, null, CancellationToken.None)], recorder);
        return (recorder, Assert.Single(result)!);
    }

    [Fact]
    public void Schnell_feeds_sigma_one_row_per_image_and_the_packed_torch_noise()
    {
        var (recorder, result) = Run(_models.Schnell, Request() with { Guidance = 7 });

        // shift 1.0, no dynamic shifting: σ = linspace(1, 1/4, 4), fed as the transformer's timestep.
        Assert.Equal([1f, 0.75f, 0.5f, 0.25f], recorder.Steps.Select(s => s.Timestep[0]));
        Assert.All(recorder.Steps, s => Assert.Equal(1, s.Rows));
        Assert.Equal("Flow Euler", result.Sampler);

        // torch.randn([1, 16, 12, 16]) from seed 7, then packed to [1, 6·8, 64].
        var noise = new float[16 * 12 * 16];
        new TorchGenerator(7).NextGaussian(noise);
        Assert.Equal(PackedLatents.Instance.FromVae(noise, 16, 12, 16), recorder.Steps[0].Sample);
    }

    [Fact]
    public void Schnell_gets_t5_states_clip_pooling_and_positions_without_a_batch_axis()
    {
        var (recorder, _) = Run(_models.Schnell, Request());
        var step = recorder.Steps[0];

        Assert.Equal(256 * 32, step.Hidden.Length);                 // T5: 256 tokens × 32
        Assert.Equal(16, step.Pooled.Length);                       // CLIP-L pooler_output
        Assert.Equal([48L, 3L], step.ImgIdsShape);
        Assert.Equal(PackedLatents.ImageIds(12, 16), step.ImgIds);
        Assert.Equal([256L, 3L], step.TxtIdsShape);
        Assert.All(step.TxtIds, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Prompt_2_feeds_t5_only()
    {
        var (plain, _) = Run(_models.Schnell, Request());
        var (second, _) = Run(_models.Schnell, Request() with { Prompt2 = "a castle" });

        Assert.Equal(plain.Steps[0].Pooled, second.Steps[0].Pooled);
        Assert.NotEqual(plain.Steps[0].Hidden, second.Steps[0].Hidden);
    }

    [Fact]
    public void A_prompt_longer_than_t5s_length_is_truncated_with_a_warning()
    {
        var (recorder, result) = Run(_models.Schnell, Request() with { Prompt = string.Join(" ", Enumerable.Repeat("lighthouse", 200)) });

        Assert.Contains(result.Warnings, w => w.Contains("only the first 255 were used"));   // T5: 256 ids, EOS last
        Assert.Contains(result.Warnings, w => w.Contains("only the first 75 were used"));    // CLIP: 77 ids, BOS and EOS
        Assert.Equal(256 * 32, recorder.Steps[0].Hidden.Length);
    }

    [Fact]
    public void Dev_embeds_guidance_and_shifts_by_the_packed_sequence_length()
    {
        var (recorder, result) = Run(_models.Dev, Request("tiny-flux-dev") with { Steps = 6, Guidance = null });

        Assert.Equal(3.5, result.Guidance);
        Assert.All(recorder.Steps, s => Assert.Equal([3.5f], s.Guidance));
        Assert.All(recorder.Steps, s => Assert.Equal(1, s.Rows));
        var expected = new FlowMatchEulerDiscreteScheduler(_models.Dev.SchedulerConfig, 6, imageSequenceLength: 48).Timesteps;
        Assert.Equal(expected.Select(t => t / 1000f), recorder.Steps.Select(s => s.Timestep[0]));
        // Dynamic shifting moved every σ but the first above the unshifted linspace.
        Assert.True(recorder.Steps[1].Timestep[0] > 5f / 6f);

        var step = recorder.Steps[0];
        Assert.Equal(512 * 32, step.Hidden.Length);                 // dev's T5 reads 512 tokens
        Assert.Equal([1L, 48L, 3L], step.ImgIdsShape);              // the older batched convention
        Assert.Equal([1L, 512L, 3L], step.TxtIdsShape);
    }

    [Fact]
    public void Dev_guidance_changes_the_image_and_a_seed_repeats_it()
    {
        var (_, a) = Run(_models.Dev, Request("tiny-flux-dev") with { Guidance = 3.5 });
        var (_, b) = Run(_models.Dev, Request("tiny-flux-dev") with { Guidance = 3.5 });
        var (_, c) = Run(_models.Dev, Request("tiny-flux-dev") with { Guidance = 8 });
        var (_, d) = Run(_models.Dev, Request("tiny-flux-dev") with { Guidance = 3.5, Seed = 8 });

        Assert.Equal(Pixels(a), Pixels(b));
        Assert.NotEqual(Pixels(a), Pixels(c));
        Assert.NotEqual(Pixels(a), Pixels(d));
    }

    [Fact]
    public void Image_to_image_at_strength_zero_gives_the_image_back()
    {
        var source = Ramp(128, 96);
        var request = Request() with { InitImage = new InitImage(source, 0) };

        var (recorder, result) = Run(_models.Schnell, request);

        Assert.Empty(recorder.Steps);
        var output = Assert.Single(result.Images).Image;
        Assert.True(MeanAbsoluteDifference(source, output) < 12, $"mean |Δ| = {MeanAbsoluteDifference(source, output)}");
    }

    [Fact]
    public void Image_to_image_starts_at_the_sigma_of_its_strength()
    {
        var (recorder, _) = Run(_models.Schnell, Request() with { InitImage = new InitImage(Ramp(128, 96), 0.5) });

        // FluxImg2ImgPipeline: 4 steps at strength 0.5 start at index 2, σ = 0.5.
        Assert.Equal([0.5f, 0.25f], recorder.Steps.Select(s => s.Timestep[0]));
    }

    [Theory]
    [InlineData("negative_prompt")]
    [InlineData("negative_prompt_2")]
    public void A_negative_prompt_is_refused(string param)
    {
        var request = param == "negative_prompt" ? Request() with { NegativePrompt = "fog" } : Request() with { NegativePrompt2 = "fog" };

        var error = Assert.Throws<InvalidGenerationRequestException>(() => RequestValidator.Validate(_models.Schnell, request));

        Assert.Equal(param, error.Param);
        Assert.Contains("no negative conditioning", error.Message);
    }

    [Fact]
    public void Only_the_flow_matching_sampler_is_accepted()
    {
        var error = Assert.Throws<InvalidGenerationRequestException>(() =>
            RequestValidator.Validate(_models.Dev, Request("tiny-flux-dev") with { Sampler = "Euler a" }));
        Assert.Equal("sampler", error.Param);
        Assert.Contains("Flow Euler", error.Message);

        Assert.Equal("Flow Euler", RequestValidator.Validate(_models.Dev, Request("tiny-flux-dev") with { Sampler = "Flow Euler" }).Sampler);
    }

    [Fact]
    public void Sizes_must_split_into_2x2_patches()
    {
        var error = Assert.Throws<InvalidGenerationRequestException>(() =>
            RequestValidator.Validate(_models.Schnell, Request() with { Width = 136 }));
        Assert.Equal("width", error.Param);
        Assert.Contains("16", error.Message);
    }

    [Fact]
    public void A_transformer_listed_under_the_wrong_flux_family_fails_to_load()
    {
        var schnellAsDev = _models.Entry("tiny-flux-schnell") with { Family = ModelFamily.FluxDev };
        var missing = Assert.Throws<ModelLoadException>(() => _models.Load(schnellAsDev));
        Assert.Contains("'guidance'", missing.Message);

        var devAsSchnell = _models.Entry("tiny-flux-dev") with { Family = ModelFamily.FluxSchnell };
        var unfed = Assert.Throws<ModelLoadException>(() => _models.Load(devAsSchnell));
        Assert.Contains("guidance", unfed.Message);
    }

    private static byte[] Pixels(GenerationResult result) => Assert.Single(result.Images).Image.Rgba;

    private static PixelImage Ramp(int width, int height)
    {
        var image = new PixelImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var at = (y * width + x) * 4;
                image.Rgba[at] = (byte)(64 + x);
                image.Rgba[at + 1] = (byte)(64 + y);
                image.Rgba[at + 2] = 128;
                image.Rgba[at + 3] = 255;
            }
        return image;
    }

    private static double MeanAbsoluteDifference(PixelImage a, PixelImage b) =>
        a.Rgba.Zip(b.Rgba, (x, y) => Math.Abs(x - y)).Average();

    /// <summary>Copies what the transformer is about to receive at each step.</summary>
    private sealed class Recorder : IDenoiseStepHook
    {
        public List<StepRecord> Steps { get; } = [];

        public void BeforeUNet(DenoiseStep step)
        {
            var stepper = step.Stepper;
            Steps.Add(new StepRecord(
                Copy(stepper.Input(UNetInputs.Timestep)), step.Lanes.Count * step.Guidance.RowsPerImage(),
                Copy(stepper.Input(UNetInputs.HiddenStates)), Copy(stepper.Input(UNetInputs.EncoderHiddenStates)),
                Copy(stepper.Input(UNetInputs.PooledProjections)),
                Copy(stepper.Input(UNetInputs.ImgIds)), stepper.Input(UNetInputs.ImgIds).Shape,
                Copy(stepper.Input(UNetInputs.TxtIds)), stepper.Input(UNetInputs.TxtIds).Shape,
                stepper.Has(UNetInputs.Guidance) ? Copy(stepper.Input(UNetInputs.Guidance)) : []));
        }

        private static float[] Copy(OnnxTensor tensor)
        {
            var values = new float[tensor.Length];
            tensor.Read(values);
            return values;
        }
    }

    private sealed record StepRecord(float[] Timestep, int Rows, float[] Sample, float[] Hidden, float[] Pooled,
        float[] ImgIds, long[] ImgIdsShape, float[] TxtIds, long[] TxtIdsShape, float[] Guidance);
}
