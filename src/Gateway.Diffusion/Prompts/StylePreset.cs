namespace Gateway.Diffusion.Prompts;

/// <summary>
/// A named look in the manner of Stability's <c>style_preset</c>: the user's prompt goes into <see cref="PromptTemplate"/>
/// at <see cref="Placeholder"/>, and <see cref="NegativePrompt"/> is added after the user's own negative prompt.
/// </summary>
public sealed record StylePreset(string Name, string PromptTemplate, string NegativePrompt)
{
    public const string Placeholder = "{prompt}";

    /// <summary>The prompt and negative prompt to render. The template is expanded in one pass, so a user prompt that
    /// itself contains <c>{prompt}</c> is kept as written.</summary>
    public (string Prompt, string NegativePrompt) Apply(string prompt, string negativePrompt) =>
        (PromptTemplate.Replace(Placeholder, prompt.Trim(), StringComparison.Ordinal),
            string.IsNullOrWhiteSpace(negativePrompt) ? NegativePrompt : $"{negativePrompt.Trim()}, {NegativePrompt}");
}
