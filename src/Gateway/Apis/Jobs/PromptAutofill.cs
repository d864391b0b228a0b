using Gateway.Diffusion.Prompts;

namespace Gateway.Apis.Jobs;

/// <summary>A model's <c>autofill</c> trigger words (a LoRA's activation words) go in front of a prompt that lacks them,
/// as Heurist does, so clients need not know them.</summary>
public static class PromptAutofill
{
    public static string Apply(string prompt, IReadOnlyList<string> triggerWords) => TriggerWords.Prepend(prompt, triggerWords);
}
