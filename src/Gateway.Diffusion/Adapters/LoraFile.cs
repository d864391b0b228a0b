using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Adapters;

/// <summary>One adapted layer of a LoRA file: the component it changes, the module key (kohya style, '.' → '_'),
/// and its down (A) and up (B) matrices with the optional alpha.</summary>
internal sealed record LoraLayer(string SourceKey, string Component, string ModuleKey, SafetensorsEntry Down, SafetensorsEntry Up, float? Alpha)
{
    /// <summary>The LoRA rank: rows of the down matrix.</summary>
    public long Rank => Down.Shape[0];

    /// <summary>alpha / rank, or 1 without alpha (kohya and diffusers agree).</summary>
    public float Scale => Alpha is { } alpha ? alpha / Rank : 1f;
}

/// <summary>
/// A LoRA safetensors file in the layouts the community shares: kohya (<c>lora_unet_…</c>, <c>lora_te_…</c>,
/// <c>lora_te1_…</c>/<c>lora_te2_…</c>, SDXL's SGM block names; <c>.lora_down.weight</c>/<c>.lora_up.weight</c>/<c>.alpha</c>)
/// and diffusers/PEFT (<c>unet.…</c>, <c>text_encoder.…</c>, <c>text_encoder_2.…</c>; <c>.lora_A.weight</c>/<c>.lora_B.weight</c>,
/// or the older <c>.lora.down.weight</c>/<c>.lora.up.weight</c>). Keys of no layer (DoRA scales, LoHa, …) are kept in
/// <see cref="Unrecognized"/> so loading can report them.
/// </summary>
internal sealed class LoraFile
{
    public const string UNet = "unet", TextEncoder = "text_encoder", TextEncoder2 = "text_encoder_2";

    private static readonly (string Suffix, string Role)[] Suffixes =
    [
        (".lora_down.weight", "down"), (".lora_up.weight", "up"), (".alpha", "alpha"),
        (".lora_A.weight", "down"), (".lora_B.weight", "up"),
        (".lora.down.weight", "down"), (".lora.up.weight", "up"),
    ];

    private LoraFile(SafetensorsFile file, IReadOnlyList<LoraLayer> layers, IReadOnlyList<string> unrecognized)
    {
        File = file;
        Layers = layers;
        Unrecognized = unrecognized;
    }

    public SafetensorsFile File { get; }
    public IReadOnlyList<LoraLayer> Layers { get; }
    public IReadOnlyList<string> Unrecognized { get; }

    public static LoraFile Load(string path, string displayName) => From(SafetensorsFile.Load(path, displayName));

    public static LoraFile From(SafetensorsFile file)
    {
        var groups = new Dictionary<string, Dictionary<string, SafetensorsEntry>>(StringComparer.Ordinal);
        var unrecognized = new List<string>();
        foreach (var entry in file.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var match = Suffixes.FirstOrDefault(s => entry.Name.EndsWith(s.Suffix, StringComparison.Ordinal));
            if (match.Suffix is null)
            {
                unrecognized.Add(entry.Name);
                continue;
            }
            var prefix = entry.Name[..^match.Suffix.Length];
            if (!groups.TryGetValue(prefix, out var group)) groups[prefix] = group = [];
            group[match.Role] = entry;
        }

        var layers = new List<LoraLayer>();
        foreach (var (prefix, group) in groups)
        {
            if (!group.TryGetValue("down", out var down) || !group.TryGetValue("up", out var up) || ToModule(prefix) is not var (component, module))
            {
                unrecognized.AddRange(group.Values.Select(e => e.Name));
                continue;
            }
            CheckShapes(file, prefix, down, up);
            float? alpha = group.TryGetValue("alpha", out var alphaEntry) ? ReadAlpha(file, alphaEntry) : null;
            layers.Add(new LoraLayer(prefix, component, module, down, up, alpha));
        }
        return new LoraFile(file, layers, unrecognized);
    }

    /// <summary>The component and kohya-style module key of a key prefix, or null for a model part Gateway has no file for.</summary>
    internal static (string Component, string Module)? ToModule(string prefix)
    {
        foreach (var (kohya, component) in new[] { ("lora_unet_", UNet), ("lora_te1_", TextEncoder), ("lora_te2_", TextEncoder2), ("lora_te_", TextEncoder) })
        {
            if (prefix.StartsWith(kohya, StringComparison.Ordinal))
            {
                var module = prefix[kohya.Length..];
                return (component, component == UNet ? SgmNames.ToDiffusers(module) : module);
            }
        }
        var path = prefix.StartsWith("base_model.model.", StringComparison.Ordinal) ? prefix["base_model.model.".Length..] : prefix;
        foreach (var (peft, component) in new[] { ("unet.", UNet), ("text_encoder.", TextEncoder), ("text_encoder_2.", TextEncoder2) })
        {
            if (path.StartsWith(peft, StringComparison.Ordinal))
                return (component, ModuleWeights.Key(path[peft.Length..]));
        }
        if (path.StartsWith("lora_", StringComparison.Ordinal) || path.StartsWith("transformer.", StringComparison.Ordinal)) return null;
        // A bare PEFT state dict of the UNet (get_peft_model_state_dict on the UNet alone).
        return (UNet, SgmNames.ToDiffusers(ModuleWeights.Key(path)));
    }

    private static void CheckShapes(SafetensorsFile file, string prefix, SafetensorsEntry down, SafetensorsEntry up)
    {
        var ok = down.Shape.Length is 2 or 4 && up.Shape.Length == down.Shape.Length && up.Shape[1] == down.Shape[0] && down.Shape[0] > 0
            && (up.Shape.Length == 2 || up.Shape[2] * up.Shape[3] == 1);
        if (!ok)
            throw new ModelLoadException(
                $"{file.DisplayName}: layer '{prefix}' has down [{string.Join(", ", down.Shape)}] and up [{string.Join(", ", up.Shape)}], " +
                "which are not a LoRA pair (down [r, in(, kh, kw)], up [out, r(, 1, 1)]).");
    }

    private static float ReadAlpha(SafetensorsFile file, SafetensorsEntry entry)
    {
        if (entry.ElementCount != 1)
            throw new ModelLoadException($"{file.DisplayName}: '{entry.Name}' should hold one value; it has {entry.ElementCount}.");
        return file.ReadFloats(entry)[0];
    }
}
