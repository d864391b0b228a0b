using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>Limits and refusals that every dialect shares, so that a client meets one style whichever it calls.</summary>
public static class DialectFields
{
    /// <summary>The longest text field (prompts, negative prompts) any dialect takes, in UTF-16 code units.</summary>
    public const int MaxTextLength = 10_000;

    /// <summary>
    /// 400 <c>unknown_parameter</c> naming the first field nothing read, so a typo is not silently ignored;
    /// <paramref name="hint"/> may say how to have such fields ignored instead.
    /// </summary>
    public static void RefuseUnread(JsonFields fields, string? hint = null)
    {
        if (fields.UnreadFields is not [var first, ..] unknown) return;
        var names = string.Join(", ", unknown.Select(name => $"'{fields.PathOf(name)}'"));
        var message = unknown.Count == 1 ? $"Unknown parameter {names}." : $"Unknown parameters: {names}.";
        throw ApiException.BadRequest(fields.PathOf(first), hint is null ? message : $"{message} {hint}", "unknown_parameter");
    }

    /// <summary>A text field of at most <see cref="MaxTextLength"/> characters.</summary>
    public static string? Text(JsonFields fields, string name, bool required = false, int minLength = 0) =>
        fields.String(name, required, minLength, MaxTextLength);
}
