namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>The UNet input names of diffusers/optimum exports, which the denoiser binds by name.</summary>
internal static class UNetInputs
{
    public const string Sample = "sample";
    public const string Timestep = "timestep";
    public const string EncoderHiddenStates = "encoder_hidden_states";
    /// <summary>SDXL: the pooled text embedding [batch, pooled].</summary>
    public const string TextEmbeds = "text_embeds";
    /// <summary>SDXL: size and crop (base) or aesthetic-score (refiner) conditioning [batch, 6 | 5].</summary>
    public const string TimeIds = "time_ids";
    /// <summary>LCM: the guidance-scale embedding [batch, time_cond_proj_dim].</summary>
    public const string TimestepCond = "timestep_cond";

    public const string OutSample = "out_sample";
}
