using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Adapters;

/// <summary>A weight with the LoRAs merged in, in the stored layout, element type (ONNX data type) and dims of the original.</summary>
internal sealed record MergedInitializer(string Name, int DataType, long[] Dims, float[] Values);

/// <summary>One LoRA file applied at a strength.</summary>
internal sealed record AppliedLora(string Id, LoraFile File, float Strength);

/// <summary>
/// The merged weights of a LoRA set for one export folder, by component (<c>unet</c>, <c>text_encoder</c>,
/// <c>text_encoder_2</c>), and the LoRA keys that matched no weight of the model.
/// </summary>
internal sealed record LoraPatch(IReadOnlyDictionary<string, IReadOnlyList<MergedInitializer>> Components, int Layers, IReadOnlyList<string> Unmatched)
{
    /// <summary>Merges every layer of <paramref name="loras"/> into the weights of the export in <paramref name="modelDirectory"/>;
    /// layers for components the folder lacks count as unmatched.</summary>
    public static LoraPatch Build(string modelDirectory, IReadOnlyList<AppliedLora> loras)
    {
        var folderName = Path.GetFileName(modelDirectory);
        var weights = new Dictionary<string, ModuleWeights?>(StringComparer.Ordinal);
        var merged = new Dictionary<string, Dictionary<string, (OnnxInitializer Initializer, float[] Values)>>(StringComparer.Ordinal);
        var unmatched = new List<string>();
        var layers = 0;
        foreach (var lora in loras)
        {
            unmatched.AddRange(lora.File.Unrecognized.Select(key => $"{lora.Id}: {key}"));
            foreach (var layer in lora.File.Layers)
            {
                if (!weights.TryGetValue(layer.Component, out var modules))
                    weights[layer.Component] = modules = Index(modelDirectory, layer.Component);
                if (modules is null || !modules.TryGet(layer.ModuleKey, out var target))
                {
                    unmatched.Add($"{lora.Id}: {layer.SourceKey}");
                    continue;
                }
                var display = $"{folderName}/{layer.Component}/model.onnx";
                var down = lora.File.File.ReadFloats(layer.Down);
                var up = lora.File.File.ReadFloats(layer.Up);
                if (layer.Up.Shape[0] != target.Out || down.Length / layer.Rank != target.In)
                    throw new ModelLoadException(
                        $"{lora.File.File.DisplayName}: layer '{layer.SourceKey}' is [{layer.Up.Shape[0]} × {down.Length / layer.Rank}] but " +
                        $"{display} '{target.Module}' is [{target.Out} × {target.In}]; the LoRA was made for another model.");
                if (!merged.TryGetValue(layer.Component, out var component)) merged[layer.Component] = component = new(StringComparer.Ordinal);
                if (!component.TryGetValue(target.Initializer.Name, out var entry))
                    component[target.Initializer.Name] = entry = (target.Initializer, InitializerData.Read(target.Initializer, display));
                LoraMerge.AddInto(entry.Values, target, down, up, layer.Rank, lora.Strength * layer.Scale);
                layers++;
            }
        }
        var components = merged.ToDictionary(pair => pair.Key,
            pair => (IReadOnlyList<MergedInitializer>)pair.Value.Values
                .Select(e => new MergedInitializer(e.Initializer.Name, e.Initializer.DataType, e.Initializer.Dims, e.Values)).ToList(),
            StringComparer.Ordinal);
        return new LoraPatch(components, layers, unmatched);
    }

    private static ModuleWeights? Index(string modelDirectory, string component)
    {
        var path = Path.Combine(modelDirectory, component, "model.onnx");
        return File.Exists(path)
            ? ModuleWeights.From(OnnxGraphIndex.Read(path, $"{Path.GetFileName(modelDirectory)}/{component}/model.onnx"))
            : null;
    }
}
