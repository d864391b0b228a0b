namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>
/// What a prompt gives the denoiser: the per-token hidden states it attends to ([sequence, hidden]; SDXL's are both
/// encoders' concatenated on the hidden axis) and, for SDXL, the pooled embedding (<c>text_embeds</c>).
/// </summary>
internal sealed record TextConditioning(float[] Hidden, float[]? Pooled);

/// <summary>The texts of one side of a request (positive or negative): <see cref="Second"/> feeds SDXL's second
/// encoder and is null to reuse <see cref="First"/>, as diffusers' <c>prompt_2</c> does.</summary>
internal readonly record struct PromptTexts(string First, string? Second)
{
    public string For(PromptSlot slot) => slot == PromptSlot.Second ? Second ?? First : First;

    public bool IsEmpty => First.Length == 0 && string.IsNullOrEmpty(Second);
}

/// <summary>Which of a request's prompts an encoder reads.</summary>
internal enum PromptSlot
{
    First,
    Second,
}
