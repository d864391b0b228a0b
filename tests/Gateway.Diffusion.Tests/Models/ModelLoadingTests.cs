using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Models;

public sealed class ModelLoadingTests
{
    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-fp16")]
    public void Committed_models_load(string id)
    {
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory });
        engine.Load(id);
        Assert.Equal(ModelState.Ready, engine.Models.Single(m => m.Entry.Id == id).State);
    }

    [Fact]
    public void Missing_component_file_is_named()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        File.Delete(Path.Combine(folder, "unet", "model.onnx"));
        var error = LoadFails(temp, "tiny-sd");
        Assert.Contains("tiny-sd/unet/model.onnx: file not found", error.Message);
    }

    [Fact]
    public void Wrong_model_in_a_component_folder_names_the_missing_input()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        File.Copy(Path.Combine(folder, "vae_decoder", "model.onnx"), Path.Combine(folder, "unet", "model.onnx"), overwrite: true);
        var error = LoadFails(temp, "tiny-sd");
        Assert.Contains("tiny-sd/unet/model.onnx: no input 'sample'", error.Message);
        Assert.Contains("'latent_sample'", error.Message);
    }

    [Theory]
    [InlineData("unet-int-sample.onnx", "unet", "tiny-sd/unet/model.onnx: input 'sample' is int64; expected float32 or float16 [batch, channels, height/8, width/8]")]
    [InlineData("unet-rank3-sample.onnx", "unet", "tiny-sd/unet/model.onnx: input 'sample' has rank 3; expected rank 4")]
    [InlineData("unet-xl-inputs.onnx", "unet", "tiny-sd/unet/model.onnx: has inputs 'text_embeds', 'time_ids' that the Stable Diffusion 1.x/2.x pipeline does not feed")]
    [InlineData("text-encoder-float-ids.onnx", "text_encoder", "tiny-sd/text_encoder/model.onnx: input 'input_ids' is float32; expected int32 or int64 [batch, sequence]")]
    public void Inputs_of_the_wrong_type_rank_or_family_are_named_with_what_was_expected(string fixture, string component, string expected)
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "broken-models", fixture),
            Path.Combine(folder, component, "model.onnx"), overwrite: true);
        Assert.Contains(expected, LoadFails(temp, "tiny-sd").Message);
    }

    [Fact]
    public void Corrupt_onnx_file_is_reported_with_its_path()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        File.WriteAllText(Path.Combine(folder, "text_encoder", "model.onnx"), "not a model");
        var error = LoadFails(temp, "tiny-sd");
        Assert.Contains("tiny-sd/text_encoder/model.onnx: ONNX Runtime cannot load it", error.Message);
    }

    [Fact]
    public void Missing_scheduler_config_and_tokenizer_are_named()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        File.Delete(Path.Combine(folder, "scheduler", "scheduler_config.json"));
        Assert.Contains("tiny-sd/scheduler/scheduler_config.json: file not found", LoadFails(temp, "tiny-sd").Message);

        using var temp2 = new TempDirectory();
        var folder2 = temp2.CopyModel("tiny-sd");
        File.Delete(Path.Combine(folder2, "tokenizer", "vocab.json"));
        Assert.Contains("vocab.json", LoadFails(temp2, "tiny-sd").Message);
    }

    [Fact]
    public async Task A_model_without_vae_encoder_loads_for_text_to_image()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        Directory.Delete(Path.Combine(folder, "vae_encoder"), recursive: true);
        WriteCatalog(temp, "tiny-sd", "sd15");
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path });
        engine.Load("tiny-sd");
        Assert.Equal(ModelState.Ready, engine.Models.Single().State);

        var request = new GenerationRequest { Model = "tiny-sd", Prompt = "a cat", Width = 64, Height = 64, Steps = 2, Seed = 1 };
        var image = Assert.Single((await engine.GenerateAsync(request)).Images).Image;
        Assert.Equal((64, 64), (image.Width, image.Height));

        // Image-to-image needs the encoder: refused, naming the image.
        var refused = await Assert.ThrowsAsync<InvalidGenerationRequestException>(() =>
            engine.GenerateAsync(request with { InitImage = new InitImage(image, 0.5) }));
        Assert.Equal("image", refused.Param);
    }

    [Fact]
    public void An_sd_export_listed_as_sdxl_names_what_the_sdxl_pipeline_needs()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sd");
        WriteCatalog(temp, "tiny-sd", "sdxl10");
        using (var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path }))
        {
            var error = Assert.Throws<ModelLoadException>(() => engine.Load("tiny-sd"));
            Assert.Contains("tiny-sd/tokenizer_2", error.Message);
            Assert.Equal(ModelState.Failed, engine.Models.Single().State);
        }

        // With a second tokenizer and encoder in place, the next thing missing is the per-layer hidden states.
        CopyFolder(Path.Combine(folder, "tokenizer"), Path.Combine(folder, "tokenizer_2"));
        CopyFolder(Path.Combine(folder, "text_encoder"), Path.Combine(folder, "text_encoder_2"));
        using (var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path }))
        {
            var error = Assert.Throws<ModelLoadException>(() => engine.Load("tiny-sd"));
            Assert.Contains("tiny-sd/text_encoder/model.onnx: no 'hidden_states.N' outputs", error.Message);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Fact]
    public void Failed_models_do_not_stop_the_others()
    {
        using var temp = new TempDirectory();
        temp.CopyModel("tiny-sd");
        File.WriteAllText(Path.Combine(temp.Path, "models.json"), """
            { "models": [
              { "id": "tiny-sd", "family": "sd15", "native_size": "512x512", "default_steps": 4, "default_guidance": 7.5 },
              { "id": "absent", "family": "sd15", "native_size": "512x512", "default_steps": 4, "default_guidance": 7.5 } ] }
            """);
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path });
        engine.LoadAll();
        Assert.True(engine.IsReady);
        var absent = engine.Models.Single(m => m.Entry.Id == "absent");
        Assert.Equal(ModelState.Failed, absent.State);
        Assert.Contains("does not exist", absent.Error);
    }

    [Fact]
    public void Cuda_falls_back_to_the_cpu_with_a_warning_where_the_provider_is_missing() =>
        _ = AssertServesOnTheCpuWithAWarning(new OnnxOptions { ExecutionProvider = "cuda" });

    [Fact]
    public void Cuda_provider_options_take_the_same_fallback_where_the_provider_is_missing() =>
        // With options the provider is appended through OrtCUDAProviderOptions, which takes the same failing path.
        _ = AssertServesOnTheCpuWithAWarning(new OnnxOptions
        {
            ExecutionProvider = "cuda",
            CudaProviderOptions = new Dictionary<string, string> { ["cudnn_conv_algo_search"] = "HEURISTIC" },
        });

    [Fact]
    public void The_cuda_fallback_names_what_the_provider_could_not_load()
    {
        // The GPU package's provider needs CUDA 13, which machines without a GPU lack; the CPU package has no provider.
        var provider = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so");
        var warning = AssertServesOnTheCpuWithAWarning(new OnnxOptions { ExecutionProvider = "cuda" });
        Assert.Contains(File.Exists(provider)
            ? "loading libonnxruntime_providers_cuda.so: libcublasLt.so.13: cannot open shared object file"
            : "has no libonnxruntime_providers_cuda.so", warning);
    }

    private static string AssertServesOnTheCpuWithAWarning(OnnxOptions onnx)
    {
        var logger = new ListLogger();
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory, Onnx = onnx },
            new SingleLoggerFactory(logger));
        engine.Load("tiny-sd");
        Assert.Equal(ModelState.Ready, engine.Models.Single(m => m.Entry.Id == "tiny-sd").State);
        return Assert.Single(logger.Messages, m => m.Contains("CUDA execution provider is not available") && m.Contains("running on the CPU"));
    }

    [Fact]
    public void An_unknown_execution_provider_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => DiffusionEngine.Create(new EngineOptions
        {
            ModelsDirectory = TestModels.Directory,
            Onnx = new OnnxOptions { ExecutionProvider = "tpu" },
        }));
        Assert.Contains("'tpu'", error.Message);
    }

    private static ModelLoadException LoadFails(TempDirectory temp, string id)
    {
        WriteCatalog(temp, id, "sd15");
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path });
        return Assert.Throws<ModelLoadException>(() => engine.Load(id));
    }

    private static void WriteCatalog(TempDirectory temp, string id, string family) =>
        File.WriteAllText(Path.Combine(temp.Path, "models.json"),
            $$"""{ "models": [ { "id": "{{id}}", "family": "{{family}}", "native_size": "512x512", "default_steps": 4, "default_guidance": 7.5 } ] }""");
}
