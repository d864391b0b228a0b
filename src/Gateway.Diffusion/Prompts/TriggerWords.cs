namespace Gateway.Diffusion.Prompts;

/// <summary>Trigger words (a LoRA's activation words, models.json <c>autofill</c>) go in front of a prompt that lacks
/// them, as Heurist does, so clients need not know them.</summary>
public static class TriggerWords
{
    public static string Prepend(string prompt, IReadOnlyList<string> triggerWords)
    {
        var missing = triggerWords
            .Where(word => !string.IsNullOrWhiteSpace(word) && !prompt.Contains(word.Trim(), StringComparison.OrdinalIgnoreCase))
            .Select(word => word.Trim())
            .ToList();
        return missing.Count == 0 ? prompt : string.Join(", ", missing.Append(prompt));
    }
}
