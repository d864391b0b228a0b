namespace Gateway.Diffusion.Adapters;

/// <summary>
/// One ONNX component's LoRA-able weights by module path, keyed the way kohya writes them (the PyTorch module path with
/// '.' → '_'; ComfyUI's reverse-map approach). The path comes from the consuming MatMul/Gemm/Conv node's name
/// (<c>/down_blocks.1/attentions.0/…/to_q/MatMul</c>), which exporters keep even when the weight itself is an anonymous
/// <c>onnx::MatMul_1234</c>; an initializer named <c>module.weight</c> is the fallback.
/// </summary>
internal sealed class ModuleWeights
{
    private readonly Dictionary<string, WeightTarget> _byKey;

    private ModuleWeights(Dictionary<string, WeightTarget> byKey) => _byKey = byKey;

    public int Count => _byKey.Count;

    public static string Key(string modulePath) => modulePath.Replace('.', '_');

    public bool TryGet(string key, out WeightTarget target) => _byKey.TryGetValue(key, out target!);

    public static ModuleWeights From(OnnxGraphIndex graph)
    {
        var byKey = new Dictionary<string, WeightTarget>(StringComparer.Ordinal);
        var ambiguous = new HashSet<string>(StringComparer.Ordinal);
        void Add(string module, WeightTarget target)
        {
            var key = Key(module);
            if (ambiguous.Contains(key)) return;
            if (byKey.TryGetValue(key, out var existing))
            {
                if (existing.Initializer.Name == target.Initializer.Name) return;
                byKey.Remove(key);
                ambiguous.Add(key);
                return;
            }
            byKey[key] = target;
        }

        foreach (var node in graph.Nodes)
        {
            if (node.Inputs.Count < 2 || !graph.Initializers.TryGetValue(node.Inputs[1], out var weight)) continue;
            if (weight.DataType is not (OnnxInitializer.Float or OnnxInitializer.Float16)) continue;
            WeightLayout? layout = node.OpType switch
            {
                "MatMul" when weight.Dims.Length == 2 => WeightLayout.InputMajor,
                "Gemm" when weight.Dims.Length == 2 => node.TransB != 0 ? WeightLayout.OutputMajor : WeightLayout.InputMajor,
                "Conv" when weight.Dims.Length >= 3 => WeightLayout.Convolution,
                _ => null,
            };
            if (layout is not { } known) continue;
            if (ModulePath(node.Name) is { } module) Add(module, new WeightTarget(module, weight, known));
            if (weight.Name.EndsWith(".weight", StringComparison.Ordinal))
            {
                var named = weight.Name[..^".weight".Length];
                Add(named, new WeightTarget(named, weight, known));
            }
        }
        return new ModuleWeights(byKey);
    }

    /// <summary><c>/a/b.0/c/MatMul</c> → <c>a.b.0.c</c>; null for names without a scope.</summary>
    private static string? ModulePath(string nodeName)
    {
        var parts = nodeName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length < 2 ? null : string.Join('.', parts[..^1]);
    }
}
