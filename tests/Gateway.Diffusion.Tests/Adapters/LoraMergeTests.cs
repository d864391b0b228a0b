using System.Text.Json;
using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Tests.Support;

namespace Gateway.Diffusion.Tests.Adapters;

/// <summary>The merged weights against Fixtures/lora/merged.json, which numpy computed from the same files
/// (Fixtures/lora/golden.py): W + strength · (alpha / rank) · up @ down, per named layer.</summary>
public sealed class LoraMergeTests
{
    public static TheoryData<int> Cases() => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Merged_layer_equals_numpy_formula_computed_from_the_files(int index)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lora", "merged.json")));
        var c = golden.RootElement.GetProperty("cases")[index];
        var lora = c.GetProperty("lora").GetString()!;
        var folder = c.GetProperty("model").GetString()!;
        var file = LoraFile.Load(Path.Combine(TestModels.Directory, "loras", lora + ".safetensors"), lora);
        var patch = LoraPatch.Build(TestModels.Folder(folder), [new AppliedLora(lora, file, c.GetProperty("strength").GetSingle())]);

        Assert.Empty(patch.Unmatched);
        Assert.Equal(file.Layers.Count, patch.Layers);
        var merged = patch.Components[c.GetProperty("component").GetString()!].Single(m => m.Name == c.GetProperty("initializer").GetString());
        Assert.Equal(c.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()), merged.Dims);
        var expected = c.GetProperty("merged").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(expected.Length, merged.Values.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], merged.Values[i], 1e-5f);
    }

    [Fact]
    public void Kohya_and_peft_keys_reach_every_component_of_sdxl()
    {
        foreach (var lora in new[] { "tiny-sdxl-kohya", "tiny-sdxl-peft" })
        {
            var file = LoraFile.Load(Path.Combine(TestModels.Directory, "loras", lora + ".safetensors"), lora);
            var patch = LoraPatch.Build(TestModels.Folder("tiny-sdxl"), [new AppliedLora(lora, file, 1f)]);
            Assert.Empty(patch.Unmatched);
            Assert.Empty(file.Unrecognized);
            Assert.Equal(file.Layers.Count, patch.Layers);
            Assert.Contains("unet", patch.Components.Keys);
            Assert.Contains("text_encoder_2", patch.Components.Keys);
        }
    }

    [Fact]
    public void Keys_that_match_no_weight_are_reported_not_dropped()
    {
        var bytes = SafetensorsBuilder.Build(new()
        {
            ["lora_unet_no_such_block_to_q.lora_down.weight"] = ([2, 4], new float[8]),
            ["lora_unet_no_such_block_to_q.lora_up.weight"] = ([4, 2], new float[8]),
            ["lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_q.hada_w1_a"] = ([1], [0f]),
        });
        var file = LoraFile.From(SafetensorsFile.Parse(bytes, "odd.safetensors"));
        var patch = LoraPatch.Build(TestModels.Folder("tiny-sd"), [new AppliedLora("odd", file, 1f)]);
        Assert.Equal(0, patch.Layers);
        Assert.Equal(2, patch.Unmatched.Count);
        Assert.Contains("odd: lora_unet_no_such_block_to_q", patch.Unmatched);
        Assert.Contains("odd: lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_q.hada_w1_a", patch.Unmatched);
    }

    [Fact]
    public void A_layer_of_another_shape_is_a_load_error_naming_the_file_and_the_layer()
    {
        var bytes = SafetensorsBuilder.Build(new()
        {
            ["lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight"] = ([2, 768], new float[1536]),
            ["lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight"] = ([32, 2], new float[64]),
        });
        var file = LoraFile.From(SafetensorsFile.Parse(bytes, "sd15-real.safetensors"));
        var e = Assert.Throws<Gateway.Diffusion.Models.ModelLoadException>(
            () => LoraPatch.Build(TestModels.Folder("tiny-sd"), [new AppliedLora("real", file, 1f)]));
        Assert.Contains("sd15-real.safetensors", e.Message);
        Assert.Contains("attn2_to_k", e.Message);
    }
}
