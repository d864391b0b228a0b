using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Pipelines;

/// <summary>Both inpainting paths on the tiny models: tiny-sd's masked requests run on tiny-sd-inpaint (9-channel UNet),
/// tiny-sd-fp16 has no inpainting export and blends the original back outside the mask after every step.</summary>
public sealed class InpaintingTests : IClassFixture<InpaintingTests.Models>
{
    private const int Size = 64;
    private readonly Models _models;

    public InpaintingTests(Models models) => _models = models;

    public sealed class Models : IDisposable
    {
        private readonly OnnxSessionFactory _sessions = new(new OnnxOptions());

        public Models()
        {
            Catalog = ModelCatalog.Load(TestModels.Directory);
            Plain = ModelLoader.Load(Entry("tiny-sd"), _sessions);
            Inpaint = ModelLoader.Load(Entry("tiny-sd-inpaint"), _sessions);
        }

        public ModelCatalog Catalog { get; }
        internal LoadedModel Plain { get; }
        internal LoadedModel Inpaint { get; }

        internal ModelCatalogEntry Entry(string id)
        {
            Assert.True(Catalog.TryGet(id, out var entry));
            return entry;
        }

        internal LoadedModel Load(ModelCatalogEntry entry) => ModelLoader.Load(entry, _sessions);

        public void Dispose()
        {
            Plain.Dispose();
            Inpaint.Dispose();
        }
    }

    [Fact]
    public void The_catalog_names_tiny_sd_inpaint_for_tiny_sd()
    {
        Assert.Equal("tiny-sd-inpaint", _models.Catalog.InpaintingModelFor("tiny-sd")?.Id);
        Assert.Null(_models.Catalog.InpaintingModelFor("tiny-sd-fp16"));
        Assert.True(_models.Inpaint.UNet.TakesInpaintInputs);
        Assert.Equal(9, _models.Inpaint.UNet.SampleChannels);
        Assert.Equal(4, _models.Inpaint.UNet.LatentChannels);
        Assert.False(_models.Plain.UNet.TakesInpaintInputs);
    }

    [Fact]
    public void Masked_image_to_image_ends_on_the_image_latents_outside_the_mask()
    {
        var image = Gradient(Size, Size);
        var mask = LeftHalfRepainted(Size, Size);
        var request = Request("tiny-sd") with { InitImage = new InitImage(image, 1.0) { Mask = mask } };
        var recorder = new Recorder();
        var result = Run(_models.Plain, request, recorder);
        Assert.Equal(InpaintMethod.MaskedImageToImage, result.Inpainting);

        // tiny-sd's encoder outputs the distribution's mean (latent_sample), so the clean latents need no generator.
        var clean = _models.Plain.VaeEncoder!.Encode(VaeImageConversion.ToPlanar(image), Size, Size, 4, new Gateway.Diffusion.Noise.TorchGenerator(0),
            new Microsoft.ML.OnnxRuntime.RunOptions(), new OnnxClock(CancellationToken.None));
        var final = recorder.LastLatents!;
        var grid = mask.LatentRepaint();
        var plane = grid.Length;
        var (kept, repainted) = (0, 0);
        for (var c = 0; c < 4; c++)
            for (var i = 0; i < plane; i++)
            {
                var expected = clean[c * plane + i] * _models.Plain.VaeScalingFactor;
                if (grid[i] == 0f)
                {
                    Assert.Equal(expected, final[c * plane + i], 5);
                    kept++;
                }
                else if (Math.Abs(expected - final[c * plane + i]) > 1e-3) repainted++;
            }
        Assert.True(kept > 0 && repainted > plane, $"kept {kept}, changed {repainted} of the repainted latents");
    }

    [Fact]
    public void An_inpaint_unet_gets_the_mask_and_the_masked_image_latents_on_its_extra_channels()
    {
        var mask = LeftHalfRepainted(Size, Size);
        var request = Request("tiny-sd-inpaint") with { InitImage = new InitImage(Gradient(Size, Size), 1.0) { Mask = mask } };
        var recorder = new Recorder();
        var result = Run(_models.Inpaint, request, recorder);
        Assert.Equal(InpaintMethod.InpaintModel, result.Inpainting);

        var grid = mask.LatentRepaint();
        var sample = recorder.FirstSample!;
        var plane = grid.Length;
        // Guided: two rows per image (unconditional, conditional), each latents ‖ mask ‖ masked-image latents.
        Assert.Equal(2 * 9 * plane, sample.Length);
        for (var row = 0; row < 2; row++)
        {
            var offset = row * 9 * plane;
            Assert.Equal(grid, sample.AsSpan(offset + 4 * plane, plane).ToArray());
            var maskedLatents = sample.AsSpan(offset + 5 * plane, 4 * plane).ToArray();
            Assert.Contains(maskedLatents, v => Math.Abs(v) > 1e-3);
            if (row == 1) Assert.Equal(sample.AsSpan(5 * plane, 4 * plane).ToArray(), maskedLatents);
        }
    }

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-inpaint")]
    public void Kept_pixels_come_back_as_sent_and_repainted_ones_change(string model)
    {
        var image = Gradient(Size, Size);
        var mask = LeftHalfRepainted(Size, Size);
        var loaded = model == "tiny-sd" ? _models.Plain : _models.Inpaint;
        var result = Run(loaded, Request(model) with { InitImage = new InitImage(image, 1.0) { Mask = mask } }, null);
        var output = result.Images[0].Image;
        var (changed, repaintedPixels) = (0, 0);
        for (var i = 0; i < Size * Size; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                if (mask.Keep[i] == 255) Assert.Equal(image.Rgba[4 * i + c], output.Rgba[4 * i + c]);
                else if (Math.Abs(image.Rgba[4 * i + c] - output.Rgba[4 * i + c]) > 8) changed++;
            }
            if (mask.Keep[i] == 0) repaintedPixels++;
        }
        Assert.True(changed > repaintedPixels, $"only {changed} of {3 * repaintedPixels} repainted channel values changed");
    }

    [Theory]
    [InlineData("tiny-sdxl")]
    [InlineData("tiny-flux-schnell")]
    public void Other_pipelines_inpaint_by_masked_image_to_image_in_their_own_latent_layout(string id)
    {
        var image = Gradient(Size, Size);
        var mask = LeftHalfRepainted(Size, Size);
        using var model = _models.Load(_models.Entry(id));
        var request = Request(id) with { Steps = 2, InitImage = new InitImage(image, 0.9) { Mask = mask } };
        var result = Run(model, request, null);
        Assert.Equal(InpaintMethod.MaskedImageToImage, result.Inpainting);
        var output = result.Images[0].Image;
        for (var i = 0; i < Size * Size; i++)
            if (mask.Keep[i] == 255) Assert.Equal(image.Rgba[4 * i], output.Rgba[4 * i]);
        Assert.NotEqual(image.Rgba, output.Rgba);
    }

    [Fact]
    public void The_inpaint_model_draws_from_text_alone_with_everything_repainted()
    {
        var result = Run(_models.Inpaint, Request("tiny-sd-inpaint"), null);
        Assert.Null(result.Inpainting);
        Assert.Equal(Size, result.Images[0].Image.Width);
    }

    [Fact]
    public void A_mask_of_another_size_is_refused_naming_mask()
    {
        var request = Request("tiny-sd") with { InitImage = new InitImage(Gradient(Size, Size), 1.0) { Mask = LeftHalfRepainted(Size, 2 * Size) } };
        var error = Assert.Throws<InvalidGenerationRequestException>(() => RequestValidator.Validate(_models.Plain, request));
        Assert.Equal("mask", error.Param);
    }

    [Fact]
    public void An_inpaint_unet_listed_as_sd15_and_a_plain_one_listed_as_inpainting_fail_to_load_naming_sample()
    {
        var asPlain = _models.Entry("tiny-sd-inpaint") with { Id = "mislabelled-inpaint", Family = ModelFamily.Sd15 };
        var error = Assert.Throws<ModelLoadException>(() => _models.Load(asPlain).Dispose());
        Assert.Contains("'sample' has 9 channels", error.Message);
        Assert.Contains("sd15-inpaint", error.Message);

        var asInpaint = _models.Entry("tiny-sd") with { Id = "mislabelled-plain", Family = ModelFamily.Sd15Inpaint };
        error = Assert.Throws<ModelLoadException>(() => _models.Load(asInpaint).Dispose());
        Assert.Contains("'sample' has 4 channels; an inpainting UNet takes 9", error.Message);
    }

    private static GenerationRequest Request(string model) => new()
    {
        Model = model, Prompt = "a red door", Width = Size, Height = Size, Steps = 3, Seed = 11,
    };

    private static GenerationResult Run(LoadedModel model, GenerationRequest request, IDenoiseStepHook? hook)
    {
        var resolved = RequestValidator.Validate(model, request);
        return Assert.Single(GenerationRun.Run(model, [new BatchMember(request, resolved, null, CancellationToken.None)], hook))!;
    }

    /// <summary>The left half transparent (repaint), the right half opaque (keep).</summary>
    internal static InpaintMask LeftHalfRepainted(int width, int height)
    {
        var keep = new byte[width * height];
        for (var y = 0; y < height; y++)
            for (var x = width / 2; x < width; x++)
                keep[y * width + x] = 255;
        return new InpaintMask(width, height, keep);
    }

    internal static PixelImage Gradient(int width, int height)
    {
        var image = new PixelImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var i = 4 * (y * width + x);
                (image.Rgba[i], image.Rgba[i + 1], image.Rgba[i + 2], image.Rgba[i + 3]) =
                    ((byte)(255 * x / width), (byte)(255 * y / height), 128, 255);
            }
        return image;
    }

    /// <summary>Keeps the UNet's first sample input and the lane's latents after the last step.</summary>
    private sealed class Recorder : IDenoiseStepHook
    {
        public float[]? FirstSample { get; private set; }
        public float[]? LastLatents { get; private set; }

        public void BeforeUNet(DenoiseStep step)
        {
            if (FirstSample is not null) return;
            var sample = step.Stepper.Input(UNetInputs.Sample);
            FirstSample = new float[sample.Length];
            sample.Read(FirstSample);
        }

        public void AfterStep(DenoiseStep step) => LastLatents = (float[])step.Lanes[0].Latents.Clone();
    }
}
