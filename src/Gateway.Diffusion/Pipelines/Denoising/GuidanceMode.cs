namespace Gateway.Diffusion.Pipelines.Denoising;

/// <summary>How the guidance scale reaches the UNet.</summary>
internal enum GuidanceMode
{
    /// <summary>Guidance off (scale ≤ 1, or SDXL-Turbo's 0): one UNet row per image.</summary>
    None,
    /// <summary>Classifier-free guidance: an unconditional and a conditional row per image in one batch,
    /// combined as ε_u + g·(ε_c − ε_u).</summary>
    ClassifierFree,
    /// <summary>Guidance-distilled UNets (LCM): the scale goes in as the <c>timestep_cond</c> embedding, one row per image.</summary>
    Embedded,
}

internal static class GuidanceModes
{
    public static int RowsPerImage(this GuidanceMode mode) => mode == GuidanceMode.ClassifierFree ? 2 : 1;
}
