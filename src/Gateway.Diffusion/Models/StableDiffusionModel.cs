using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Schedulers;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Models;

/// <summary>
/// A loaded Stable Diffusion 1.x / 2.x export: tokenizer, scheduler configuration and one session per component,
/// created once and reused by every request.
/// </summary>
internal sealed class StableDiffusionModel : IDisposable
{
    private StableDiffusionModel(ModelCatalogEntry entry, ClipTokenizer tokenizer, SchedulerConfig schedulerConfig,
        TextEncoder textEncoder, UNet unet, VaeDecoder vaeDecoder, VaeEncoder? vaeEncoder, float vaeScalingFactor)
    {
        Entry = entry;
        Tokenizer = tokenizer;
        SchedulerConfig = schedulerConfig;
        TextEncoder = textEncoder;
        UNet = unet;
        VaeDecoder = vaeDecoder;
        VaeEncoder = vaeEncoder;
        VaeScalingFactor = vaeScalingFactor;
    }

    public ModelCatalogEntry Entry { get; }
    public ClipTokenizer Tokenizer { get; }
    public SchedulerConfig SchedulerConfig { get; }
    public TextEncoder TextEncoder { get; }
    public UNet UNet { get; }
    public VaeDecoder VaeDecoder { get; }
    /// <summary>Null when the export has no <c>vae_encoder/</c>: such a model cannot do image-to-image.</summary>
    public VaeEncoder? VaeEncoder { get; }
    public float VaeScalingFactor { get; }
    /// <summary>Recent prompts' text-encoder output, so repeated prompts and the empty negative prompt cost nothing.</summary>
    public Pipelines.TextEmbeddingCache Embeddings { get; } = new(capacity: 256);

    public static StableDiffusionModel Load(ModelCatalogEntry entry, OnnxSessionFactory sessions)
    {
        var directory = entry.Directory;
        var name = Path.GetFileName(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new ModelLoadException($"Model '{entry.Id}': folder {directory} does not exist.");
        if (entry.Family.IsXl())
            throw new ModelLoadException($"Model '{entry.Id}': family '{entry.Family.ToName()}' needs the SDXL pipeline, which this version does not have yet.");

        var tokenizer = LoadTokenizer(directory, name);
        var schedulerConfig = LoadSchedulerConfig(directory, name);
        var vaeScalingFactor = (float?)ComponentConfig.ReadNumber(directory, "vae_decoder", "scaling_factor")
            ?? entry.Family.DefaultVaeScalingFactor();
        var guidanceEmbeddingSize = (int?)ComponentConfig.ReadNumber(directory, "unet", "time_cond_proj_dim");

        var opened = new List<IDisposable>();
        try
        {
            var textEncoder = Track(new TextEncoder(Track(OnnxModelFile.Open(sessions, directory, "text_encoder"))));
            var unet = Track(new UNet(Track(OnnxModelFile.Open(sessions, directory, "unet")), guidanceEmbeddingSize));
            var vaeDecoder = Track(new VaeDecoder(Track(OnnxModelFile.Open(sessions, directory, "vae_decoder"))));
            var vaeEncoder = System.IO.Directory.Exists(Path.Combine(directory, "vae_encoder"))
                ? Track(new VaeEncoder(Track(OnnxModelFile.Open(sessions, directory, "vae_encoder"))))
                : null;
            return new StableDiffusionModel(entry, tokenizer, schedulerConfig, textEncoder, unet, vaeDecoder, vaeEncoder, vaeScalingFactor);
        }
        catch
        {
            foreach (var item in opened) item.Dispose();
            throw;
        }

        T Track<T>(T item) where T : IDisposable
        {
            opened.Add(item);
            return item;
        }
    }

    private static ClipTokenizer LoadTokenizer(string directory, string name)
    {
        try
        {
            return ClipTokenizer.Load(Path.Combine(directory, "tokenizer"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new ModelLoadException($"{name}/tokenizer: {e.Message}", e);
        }
    }

    private static SchedulerConfig LoadSchedulerConfig(string directory, string name)
    {
        var path = Path.Combine(directory, "scheduler", "scheduler_config.json");
        if (!File.Exists(path))
            throw new ModelLoadException($"{name}/scheduler/scheduler_config.json: file not found ({path}).");
        try
        {
            // diffusers' Stable Diffusion pipelines override these two legacy settings of older configs
            // (e.g. the SD 1.5 ONNX branch), and real checkpoints are tuned for the overridden values.
            return SchedulerConfig.Load(path) with { StepsOffset = 1, ClipSample = false };
        }
        catch (Exception e) when (e is not ModelLoadException)
        {
            throw new ModelLoadException($"{name}/scheduler/scheduler_config.json: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        UNet.Dispose();
        VaeDecoder.Dispose();
        VaeEncoder?.Dispose();
    }
}
