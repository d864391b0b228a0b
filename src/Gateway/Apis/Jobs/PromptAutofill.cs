namespace Gateway.Apis.Jobs;

/// <summary>A model's <c>autofill</c> trigger words (a LoRA's activation words) go in front of a prompt that lacks them,
/// as Heurist does, so clients need not know them.</summary>
public static class PromptAutofill
{
    public static string Apply(string prompt, IReadOnlyList<string> triggerWords)
    {
        var missing = triggerWords
            .Where(word => !string.IsNullOrWhiteSpace(word) && !prompt.Contains(word.Trim(), StringComparison.OrdinalIgnoreCase))
            .Select(word => word.Trim())
            .ToList();
        return missing.Count == 0 ? prompt : string.Join(", ", missing.Append(prompt));
    }
}
