using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Models;

public sealed class ModelExecutionProviderTests
{
    [Fact]
    public void A_model_kept_on_the_cpu_does_not_ask_for_cuda_on_a_cuda_server()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(Path.Combine(temp.Path, "models.json"), $$"""
            { "models": [ { "id": "tiny-sd", "folder": {{System.Text.Json.JsonSerializer.Serialize(TestModels.Folder("tiny-sd"))}},
              "family": "sd15", "native_size": "512x512", "default_steps": 4, "default_guidance": 7.5, "execution_provider": "cpu" } ] }
            """);
        var logger = new ListLogger();
        using var engine = DiffusionEngine.Create(new EngineOptions { ModelsDirectory = temp.Path, Onnx = new OnnxOptions { ExecutionProvider = "cuda" } },
            new SingleLoggerFactory(logger));
        engine.Load("tiny-sd");
        Assert.Equal(ModelState.Ready, engine.Models.Single().State);
        Assert.DoesNotContain(logger.Messages, m => m.Contains("CUDA execution provider is not available"));
        Assert.Equal("cpu", engine.ExecutionProvider);
    }

    [Fact]
    public void An_unknown_execution_provider_in_the_catalog_is_named()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelCatalog.Parse("""
            { "models": [ { "id": "m", "family": "sd15", "native_size": "512x512", "default_steps": 4, "default_guidance": 7.5,
              "execution_provider": "tpu" } ] }
            """, "/m", "models.json"));
        Assert.Contains("field 'execution_provider'", error.Message);
    }
}
