using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Pipelines;

/// <summary>What the SDXL UNets receive, read from their bound input tensors at every step.</summary>
public sealed class SdxlConditioningTests : IClassFixture<SdxlConditioningTests.Models>
{
    private readonly Models _models;

    public SdxlConditioningTests(Models models) => _models = models;

    public sealed class Models : IDisposable
    {
        private readonly OnnxSessionFactory _sessions = new(new OnnxOptions());
        private readonly ModelCatalog _catalog = ModelCatalog.Load(TestModels.Directory);

        public Models()
        {
            Base = Load("tiny-sdxl");
            Refiner = Load("tiny-sdxl-refiner");
            Turbo = Load("tiny-sdxl-turbo");
        }

        internal LoadedModel Base { get; }
        internal LoadedModel Refiner { get; }
        internal LoadedModel Turbo { get; }

        private LoadedModel Load(string id)
        {
            Assert.True(_catalog.TryGet(id, out var entry));
            return ModelLoader.Load(entry, _sessions);
        }

        public void Dispose()
        {
            Base.Dispose();
            Refiner.Dispose();
            Turbo.Dispose();
        }
    }

    private static GenerationRequest Request(string model = "tiny-sdxl") => new()
    {
        Model = model, Prompt = "a lighthouse at dusk", Width = 128, Height = 192, Steps = 5, Seed = 7, Guidance = 5.0,
    };

    private static (Recorder Recorder, GenerationResult Result) Run(LoadedModel model, GenerationRequest request, LoadedModel? refiner = null)
    {
        var resolved = RequestValidator.Validate(model, request, refiner);
        var recorder = new Recorder();
        var result = GenerationRun.Run(model, [new BatchMember(request, resolved, null, CancellationToken.None)], recorder);
        return (recorder, Assert.Single(result)!);
    }

    [Fact]
    public void The_base_unet_gets_time_ids_of_the_rendered_size_on_both_guidance_rows()
    {
        var (recorder, _) = Run(_models.Base, Request());
        Assert.Equal(5, recorder.Steps.Count);
        foreach (var step in recorder.Steps)
        {
            Assert.Equal(2, step.Rows);
            Assert.Equal([192f, 128f, 0f, 0f, 192f, 128f], step.TimeIds[0]);
            Assert.Equal([192f, 128f, 0f, 0f, 192f, 128f], step.TimeIds[1]);
        }
    }

    [Fact]
    public void The_refiner_gets_aesthetic_scores_and_runs_the_last_fifth_of_the_same_schedule()
    {
        var (recorder, _) = Run(_models.Base, Request() with { UseRefiner = true, Steps = 10 }, _models.Refiner);
        // Euler, leading spacing, 10 steps: 901, 801, …, 1. high_noise_frac 0.8 → cutoff 200: the base runs the
        // timesteps ≥ 200 (eight of them), the refiner the two below it.
        Assert.Equal([901f, 801f, 701f, 601f, 501f, 401f, 301f, 201f, 101f, 1f], recorder.Steps.Select(s => s.Timestep));
        Assert.All(recorder.Steps.Take(8), s => Assert.Equal(6, s.TimeIds[0].Length));
        foreach (var step in recorder.Steps.Skip(8))
        {
            Assert.Equal([192f, 128f, 0f, 0f, 2.5f], step.TimeIds[0]);
            Assert.Equal([192f, 128f, 0f, 0f, 6.0f], step.TimeIds[1]);
            Assert.Equal(24 * 77, step.Hidden[1].Length); // text_encoder_2 alone
        }
    }

    [Fact]
    public void An_empty_negative_prompt_conditions_the_base_on_zeros_and_a_real_one_does_not()
    {
        var (empty, _) = Run(_models.Base, Request());
        var step = empty.Steps[0];
        Assert.Equal(40 * 77, step.Hidden[0].Length); // CLIP-L 16 + bigG 24
        Assert.All(step.Hidden[0], v => Assert.Equal(0f, v));
        Assert.All(step.Pooled[0], v => Assert.Equal(0f, v));
        Assert.Contains(step.Hidden[1], v => v != 0f);
        Assert.Contains(step.Pooled[1], v => v != 0f);

        var (negative, _) = Run(_models.Base, Request() with { NegativePrompt = "fog" });
        Assert.Contains(negative.Steps[0].Hidden[0], v => v != 0f);
        Assert.Contains(negative.Steps[0].Pooled[0], v => v != 0f);

        // The refiner's model_index.json says force_zeros_for_empty_prompt: false, so "" is encoded.
        var (refined, _) = Run(_models.Base, Request() with { UseRefiner = true }, _models.Refiner);
        Assert.Contains(refined.Steps[^1].Hidden[0], v => v != 0f);
    }

    [Fact]
    public void The_hidden_states_are_clip_l_then_big_g_token_by_token()
    {
        var (both, _) = Run(_models.Base, Request() with { NegativePrompt = "fog" });
        var (other, _) = Run(_models.Base, Request() with { NegativePrompt = "fog", Prompt2 = "a castle" });
        var a = both.Steps[0].Hidden[1];
        var b = other.Steps[0].Hidden[1];
        for (var token = 0; token < 77; token++)
        {
            // prompt_2 feeds only the second encoder: each token's first 16 values (CLIP-L) stay, the last 24 (bigG) change.
            Assert.Equal(a.AsSpan(token * 40, 16).ToArray(), b.AsSpan(token * 40, 16).ToArray());
        }
        // CLIP attends causally, so "a" (token 1) encodes alike; from token 2 ("lighthouse" / "castle") on, bigG's part differs.
        Assert.Equal(a.AsSpan(40 + 16, 24).ToArray(), b.AsSpan(40 + 16, 24).ToArray());
        Assert.NotEqual(a.AsSpan(2 * 40 + 16, 24).ToArray(), b.AsSpan(2 * 40 + 16, 24).ToArray());
        Assert.NotEqual(both.Steps[0].Pooled[1], other.Steps[0].Pooled[1]);
    }

    [Fact]
    public void Turbo_runs_without_a_guidance_half_on_trailing_timesteps()
    {
        var (recorder, result) = Run(_models.Turbo, Request("tiny-sdxl-turbo") with { Steps = 4, Guidance = null });
        Assert.Equal(0, result.Guidance);
        Assert.Equal("Euler a", result.Sampler);
        Assert.All(recorder.Steps, s => Assert.Equal(1, s.Rows));
        Assert.Equal([999f, 749f, 499f, 249f], recorder.Steps.Select(s => s.Timestep));
    }

    /// <summary>Copies what the UNet is about to receive at each step.</summary>
    private sealed class Recorder : IDenoiseStepHook
    {
        public List<StepRecord> Steps { get; } = [];

        public void BeforeUNet(DenoiseStep step)
        {
            var rows = step.Lanes.Count * step.Guidance.RowsPerImage();
            Steps.Add(new StepRecord(step.Timestep, rows,
                RowsOf(step.Stepper.Input(UNetInputs.TimeIds), rows),
                RowsOf(step.Stepper.Input(UNetInputs.EncoderHiddenStates), rows),
                RowsOf(step.Stepper.Input(UNetInputs.TextEmbeds), rows)));
        }

        private static float[][] RowsOf(OnnxTensor tensor, int rows)
        {
            var length = tensor.Length / rows;
            return Enumerable.Range(0, rows).Select(r =>
            {
                var row = new float[length];
                tensor.Read(row, r * length);
                return row;
            }).ToArray();
        }
    }

    private sealed record StepRecord(float Timestep, int Rows, float[][] TimeIds, float[][] Hidden, float[][] Pooled);
}
