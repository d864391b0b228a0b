using System.Text.Json;
using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Vae;
using Gateway.Diffusion.Schedulers;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// A diffusers/optimum export folder being loaded: opens its components with messages that name the file, and
/// disposes whatever was opened when loading fails part-way.
/// </summary>
internal sealed class ExportFolder : IDisposable
{
    private readonly OnnxSessionFactory _sessions;
    private readonly List<IDisposable> _opened = [];
    private readonly Dictionary<string, OnnxModelFile> _files = new(StringComparer.Ordinal);
    private readonly LoraPatch? _patch;
    private readonly IReadOnlyDictionary<string, OnnxModelFile>? _shared;
    private bool _kept;

    /// <param name="patch">LoRA-merged weights: the components it changes get sessions of their own.</param>
    /// <param name="shared">The loaded base model's files: components the patch leaves alone reuse their sessions.</param>
    public ExportFolder(ModelCatalogEntry entry, OnnxSessionFactory sessions, LoraPatch? patch = null,
        IReadOnlyDictionary<string, OnnxModelFile>? shared = null)
    {
        Entry = entry;
        _sessions = sessions;
        _patch = patch;
        _shared = shared;
        Directory = entry.Directory;
        Name = Path.GetFileName(Directory);
        if (!System.IO.Directory.Exists(Directory))
            throw new ModelLoadException($"Model '{entry.Id}': folder {Directory} does not exist.");
    }

    public ModelCatalogEntry Entry { get; }

    /// <summary>The component files opened so far, by component folder name.</summary>
    public IReadOnlyDictionary<string, OnnxModelFile> Files => _files;
    public string Directory { get; }
    /// <summary>The folder's name, as messages show it.</summary>
    public string Name { get; }

    public bool Has(string component) => System.IO.Directory.Exists(Path.Combine(Directory, component));

    /// <summary>Opens <c>component/model.onnx</c> and keeps what <paramref name="wrap"/> makes of it for disposal on failure.</summary>
    public T Open<T>(string component, Func<OnnxModelFile, T> wrap, SessionRole role = SessionRole.Component) where T : IDisposable
    {
        var file = _patch is not null && _patch.Components.TryGetValue(component, out var merged)
            ? OnnxModelFile.OpenWith(_sessions, Directory, component, merged, Entry.ExecutionProvider, role)
            : _shared is not null && _shared.TryGetValue(component, out var loaded) ? loaded.Borrow()
            : OnnxModelFile.Open(_sessions, Directory, component, Entry.ExecutionProvider, role);
        _files[component] = file;
        try
        {
            return Track(wrap(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private T Track<T>(T item) where T : IDisposable
    {
        _opened.Add(item);
        return item;
    }

    public ClipTokenizer Tokenizer(string component)
    {
        try
        {
            return ClipTokenizer.Load(Path.Combine(Directory, component));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or JsonException or InvalidDataException)
        {
            throw new ModelLoadException($"{Name}/{component}: {e.Message}", e);
        }
    }

    /// <summary>A T5 tokenizer from <c>component/spiece.model</c>, <paramref name="maxLength"/> ids a prompt.</summary>
    public T5Tokenizer T5Tokenizer(string component, int maxLength)
    {
        try
        {
            return Text.T5Tokenizer.Load(Path.Combine(Directory, component), maxLength);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ModelLoadException($"{Name}/{component}: {e.Message}", e);
        }
    }

    public SchedulerConfig SchedulerConfig()
    {
        var path = Path.Combine(Directory, "scheduler", "scheduler_config.json");
        if (!File.Exists(path))
            throw new ModelLoadException($"{Name}/scheduler/scheduler_config.json: file not found ({path}).");
        try
        {
            var config = Schedulers.SchedulerConfig.Load(path);
            return Entry.TimestepSpacing is { } spacing ? config with { TimestepSpacing = spacing } : config;
        }
        catch (Exception e) when (e is not ModelLoadException)
        {
            throw new ModelLoadException($"{Name}/scheduler/scheduler_config.json: {e.Message}", e);
        }
    }

    /// <summary>The VAE halves and the latent scale from <c>vae_decoder/config.json</c> (else the family's default).</summary>
    public (VaeDecoder Decoder, VaeEncoder? Encoder, float ScalingFactor) Vae()
    {
        var scaling = (float?)ComponentConfig.ReadNumber(Directory, "vae_decoder", "scaling_factor") ?? Entry.Family.DefaultVaeScalingFactor();
        var decoder = Open("vae_decoder", file => new VaeDecoder(file));
        var encoder = Has("vae_encoder") ? Open("vae_encoder", file => new VaeEncoder(file)) : null;
        return (decoder, encoder, scaling);
    }

    /// <summary>The latent shift of <c>vae_decoder/config.json</c>'s <c>shift_factor</c> (Flux: 0.1159), 0 when absent.</summary>
    public float VaeShiftFactor() => (float?)ComponentConfig.ReadNumber(Directory, "vae_decoder", "shift_factor") ?? 0f;

    /// <summary>A boolean of <c>model_index.json</c>, or <paramref name="fallback"/> when the file or the key is absent.</summary>
    public bool IndexFlag(string key, bool fallback)
    {
        var path = Path.Combine(Directory, "model_index.json");
        if (!File.Exists(path)) return fallback;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var value)
                ? value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Null => fallback,
                    _ => throw new ModelLoadException($"{Name}/model_index.json: '{key}' must be true or false."),
                }
                : fallback;
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{Name}/model_index.json: not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Loading succeeded: what was opened now belongs to the loaded model.</summary>
    public T Keep<T>(T model)
    {
        _kept = true;
        return model;
    }

    public void Dispose()
    {
        if (_kept) return;
        foreach (var item in Enumerable.Reverse(_opened)) item.Dispose();
    }
}
