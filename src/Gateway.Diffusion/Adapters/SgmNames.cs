using System.Text.RegularExpressions;

namespace Gateway.Diffusion.Adapters;

/// <summary>
/// Kohya SDXL files may name UNet layers by the original (SGM / ldm) block layout, e.g.
/// <c>input_blocks_4_1_transformer_blocks_0_attn2_to_q</c>; this maps them to diffusers' module path (underscored), as
/// diffusers' <c>lora_conversion_utils</c> does for UNets with two layers per block (SD 1.x, SDXL): input block
/// <c>n</c> ≥ 1 is down block <c>(n-1)/3</c>, item <c>(n-1)%3</c> (2 = the downsampler); output block <c>n</c> is up
/// block <c>n/3</c>, item <c>n%3</c>; in each, part 0 is the ResNet, 1 the attention (2: the upsampler).
/// </summary>
internal static partial class SgmNames
{
    private static readonly (string Sgm, string Diffusers)[] ResNetParts =
    [
        ("in_layers_2", "conv1"), ("emb_layers_1", "time_emb_proj"), ("out_layers_3", "conv2"), ("skip_connection", "conv_shortcut"),
    ];

    public static string ToDiffusers(string module)
    {
        if (InputBlock().Match(module) is { Success: true } input)
        {
            var n = int.Parse(input.Groups[1].Value) - 1;
            var (block, item, part, rest) = (n / 3, n % 3, input.Groups[2].Value, input.Groups[3].Value);
            if (n < 0) return module;
            return item == 2
                ? $"down_blocks_{block}_downsamplers_0_{(rest == "op" ? "conv" : rest)}"
                : $"down_blocks_{block}_{Part(part, item, rest)}";
        }
        if (MiddleBlock().Match(module) is { Success: true } middle)
        {
            var rest = middle.Groups[2].Value;
            return middle.Groups[1].Value switch
            {
                "0" => $"mid_block_resnets_0_{ResNet(rest)}",
                "1" => $"mid_block_attentions_0_{rest}",
                _ => $"mid_block_resnets_1_{ResNet(rest)}",
            };
        }
        if (OutputBlock().Match(module) is { Success: true } output)
        {
            var n = int.Parse(output.Groups[1].Value);
            var (part, rest) = (output.Groups[2].Value, output.Groups[3].Value);
            return part == "2" || (part == "1" && rest == "conv")
                ? $"up_blocks_{n / 3}_upsamplers_0_{rest}"
                : $"up_blocks_{n / 3}_{Part(part, n % 3, rest)}";
        }
        return module;
    }

    private static string Part(string part, int item, string rest) =>
        part == "0" ? $"resnets_{item}_{ResNet(rest)}" : $"attentions_{item}_{rest}";

    private static string ResNet(string rest) =>
        ResNetParts.FirstOrDefault(p => p.Sgm == rest).Diffusers ?? rest;

    [GeneratedRegex(@"^input_blocks_(\d+)_(\d+)_(.+)$")]
    private static partial Regex InputBlock();

    [GeneratedRegex(@"^middle_block_(\d+)_(.+)$")]
    private static partial Regex MiddleBlock();

    [GeneratedRegex(@"^output_blocks_(\d+)_(\d+)_(.+)$")]
    private static partial Regex OutputBlock();
}
