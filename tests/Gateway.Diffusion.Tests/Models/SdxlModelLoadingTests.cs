using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Models;

public sealed class SdxlModelLoadingTests
{
    [Theory]
    [InlineData("tiny-sdxl")]
    [InlineData("tiny-sdxl-legacy")]
    [InlineData("tiny-sdxl-turbo")]
    [InlineData("tiny-sdxl-refiner")]
    public void Committed_sdxl_models_load(string id)
    {
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = TestModels.Directory });
        engine.Load(id);
        Assert.Equal(ModelState.Ready, engine.Models.Single(m => m.Entry.Id == id).State);
    }

    [Fact]
    public void A_refiner_listed_as_a_base_model_names_the_time_ids_it_wants()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sdxl-refiner");
        // The refiner has no tokenizer/ or text_encoder/: give it the base's so the UNet is what fails.
        CopyFrom("tiny-sdxl", "tokenizer", folder);
        CopyFrom("tiny-sdxl", "text_encoder", folder);
        var error = LoadFails(temp, "tiny-sdxl-refiner", "sdxl10");
        Assert.Contains("tiny-sdxl-refiner/unet/model.onnx: input 'time_ids' has 5 values a row; the SDXL pipeline feeds 6", error.Message);
    }

    [Fact]
    public void An_sdxl_unet_listed_as_the_refiner_names_its_time_ids()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sdxl");
        var error = LoadFails(temp, "tiny-sdxl", "sdxl-refiner");
        Assert.Contains("tiny-sdxl/unet/model.onnx: input 'time_ids' has 6 values a row; the SDXL refiner pipeline feeds 5", error.Message);
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void A_missing_second_encoder_is_named()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sdxl");
        File.Delete(Path.Combine(folder, "text_encoder_2", "model.onnx"));
        Assert.Contains("tiny-sdxl/text_encoder_2/model.onnx: file not found", LoadFails(temp, "tiny-sdxl", "sdxl10").Message);
    }

    [Fact]
    public async Task A_vae_that_gives_nan_fails_the_request_naming_the_fp16_fix_instead_of_a_black_image()
    {
        using var temp = new TempDirectory();
        var folder = temp.CopyModel("tiny-sdxl");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "broken-models", "vae-decoder-nan.onnx"),
            Path.Combine(folder, "vae_decoder", "model.onnx"), overwrite: true);
        WriteCatalog(temp, "tiny-sdxl", "sdxl10");
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path });
        engine.Load("tiny-sdxl");
        var error = await Assert.ThrowsAsync<ModelOutputException>(() => engine.GenerateAsync(new GenerationRequest
        {
            Model = "tiny-sdxl", Prompt = "a lighthouse", Width = 64, Height = 64, Steps = 1, Seed = 1,
        }));
        Assert.Contains("NaN", error.Message);
        Assert.Contains("fp16-fix", error.Message);
    }

    private static void CopyFrom(string model, string component, string folder)
    {
        var target = Path.Combine(folder, component);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(TestModels.Folder(model), component)))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }

    private static ModelLoadException LoadFails(TempDirectory temp, string id, string family)
    {
        WriteCatalog(temp, id, family);
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path });
        return Assert.Throws<ModelLoadException>(() => engine.Load(id));
    }

    private static void WriteCatalog(TempDirectory temp, string id, string family) =>
        File.WriteAllText(Path.Combine(temp.Path, "models.json"),
            $$"""{ "models": [ { "id": "{{id}}", "family": "{{family}}", "native_size": "1024x1024", "default_steps": 4, "default_guidance": 5 } ] }""");
}
