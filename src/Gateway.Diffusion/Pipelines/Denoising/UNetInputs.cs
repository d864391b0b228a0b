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

    /// <summary>Flux: the packed latents [batch, image sequence, 4·channels].</summary>
    public const string HiddenStates = "hidden_states";
    /// <summary>Flux: CLIP-L's pooled embedding [batch, pooled].</summary>
    public const string PooledProjections = "pooled_projections";
    /// <summary>Flux: the image tokens' positions [image sequence, 3] (or with a batch axis).</summary>
    public const string ImgIds = "img_ids";
    /// <summary>Flux: the text tokens' positions, all zero [text sequence, 3] (or with a batch axis).</summary>
    public const string TxtIds = "txt_ids";
    /// <summary>FLUX.1-dev: the embedded guidance scale [batch].</summary>
    public const string Guidance = "guidance";

    /// <summary>The Flux transformer's output as optimum, BFL's own ONNX and OnnxStack name it.</summary>
    public static readonly string[] TransformerOutputs = ["out_hidden_states", "latent", "sample"];
}
