using Gateway.Diffusion.Adapters;

namespace Gateway.Diffusion.Tests.Adapters;

public sealed class LoraKeyTests
{
    [Theory]
    [InlineData("lora_unet_down_blocks_1_attentions_0_proj_in", "unet", "down_blocks_1_attentions_0_proj_in")]
    [InlineData("lora_te_text_model_encoder_layers_0_self_attn_q_proj", "text_encoder", "text_model_encoder_layers_0_self_attn_q_proj")]
    [InlineData("lora_te1_text_model_encoder_layers_0_mlp_fc1", "text_encoder", "text_model_encoder_layers_0_mlp_fc1")]
    [InlineData("lora_te2_text_model_encoder_layers_3_self_attn_out_proj", "text_encoder_2", "text_model_encoder_layers_3_self_attn_out_proj")]
    [InlineData("unet.up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_out.0", "unet", "up_blocks_1_attentions_2_transformer_blocks_0_attn1_to_out_0")]
    [InlineData("text_encoder_2.text_model.encoder.layers.0.self_attn.k_proj", "text_encoder_2", "text_model_encoder_layers_0_self_attn_k_proj")]
    [InlineData("base_model.model.down_blocks.0.attentions.1.proj_out", "unet", "down_blocks_0_attentions_1_proj_out")]
    // SGM block names of kohya SDXL files (diffusers' _convert_non_diffusers_sdxl_lora_to_diffusers mapping).
    [InlineData("lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_q", "unet", "down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_q")]
    [InlineData("lora_unet_input_blocks_8_1_proj_in", "unet", "down_blocks_2_attentions_1_proj_in")]
    [InlineData("lora_unet_input_blocks_3_0_op", "unet", "down_blocks_0_downsamplers_0_conv")]
    [InlineData("lora_unet_input_blocks_1_0_in_layers_2", "unet", "down_blocks_0_resnets_0_conv1")]
    [InlineData("lora_unet_middle_block_1_transformer_blocks_9_ff_net_2", "unet", "mid_block_attentions_0_transformer_blocks_9_ff_net_2")]
    [InlineData("lora_unet_middle_block_2_emb_layers_1", "unet", "mid_block_resnets_1_time_emb_proj")]
    [InlineData("lora_unet_output_blocks_5_1_transformer_blocks_1_attn1_to_v", "unet", "up_blocks_1_attentions_2_transformer_blocks_1_attn1_to_v")]
    [InlineData("lora_unet_output_blocks_2_2_conv", "unet", "up_blocks_0_upsamplers_0_conv")]
    [InlineData("lora_unet_output_blocks_3_0_skip_connection", "unet", "up_blocks_1_resnets_0_conv_shortcut")]
    public void Maps_kohya_peft_and_sgm_keys_to_a_component_and_module(string prefix, string component, string module)
    {
        Assert.Equal((component, module), LoraFile.ToModule(prefix));
    }
}
