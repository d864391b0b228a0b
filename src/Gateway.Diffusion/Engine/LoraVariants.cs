using System.Diagnostics;
using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The models with a LoRA set merged in: per (base model, set) a model whose changed components (UNet, text encoders)
/// have sessions of their own with the merged weights as overriding initializers, and whose other components share the
/// base model's sessions. The base model's sessions are never changed, so a request without LoRA runs exactly as before.
/// The least recently used variants are disposed beyond <c>capacity</c>. Used by the worker thread only.
/// </summary>
internal sealed class LoraVariants(OnnxSessionFactory sessions, int capacity, ILogger logger) : IDisposable
{
    private readonly LinkedList<(string Key, LoadedModel Model)> _recent = new();

    /// <summary>The base model itself for an empty set; else its variant for the set, prepared on first use.</summary>
    public LoadedModel For(LoadedModel baseModel, LoraSet set)
    {
        if (set.IsEmpty) return baseModel;
        var key = $"{baseModel.Entry.Id}|{set.Key}";
        for (var node = _recent.First; node is not null; node = node.Next)
        {
            if (node.Value.Key != key) continue;
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value.Model;
        }

        var started = Stopwatch.GetTimestamp();
        var applied = set.Items.Select(i => new AppliedLora(i.Lora.Id, LoraFile.Load(i.Lora.File, $"loras/{Path.GetFileName(i.Lora.File)}"), (float)i.Weight)).ToList();
        var patch = LoraPatch.Build(baseModel.Entry.Directory, applied);
        if (patch.Unmatched.Count > 0)
            logger.LogWarning("LoRA set {Set} on model {Model}: {Count} keys match no weight of the model and are not applied (first: {First})",
                set.Key, baseModel.Entry.Id, patch.Unmatched.Count, string.Join(", ", patch.Unmatched.Take(5)));
        var variant = ModelLoader.Load(baseModel.Entry, sessions, patch, baseModel);
        logger.LogInformation(
            "Prepared LoRA set {Set} for model {Model} in {Seconds:0.00} s: {Layers} layers merged into {Weights} weights of {Components}",
            set.Key, baseModel.Entry.Id, Stopwatch.GetElapsedTime(started).TotalSeconds, patch.Layers,
            patch.Components.Values.Sum(c => c.Count), string.Join(", ", patch.Components.Keys.Order(StringComparer.Ordinal)));
        _recent.AddFirst((key, variant));
        while (_recent.Count > Math.Max(1, capacity))
        {
            var last = _recent.Last!.Value;
            _recent.RemoveLast();
            last.Model.Dispose();
        }
        return variant;
    }

    public void Dispose()
    {
        foreach (var (_, model) in _recent) model.Dispose();
        _recent.Clear();
    }
}
