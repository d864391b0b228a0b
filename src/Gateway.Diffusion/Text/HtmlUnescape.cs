using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Diffusion.Text;

/// <summary>HTML character references decoded as Python's <c>html.unescape</c> and as ftfy's <c>unescape_html</c> do.</summary>
internal static partial class HtmlUnescape
{
    /// <summary>Python 3's <c>html.unescape</c>: HTML 5 names (with the legacy ones that may lack ';') and numbers.</summary>
    public static string Python(string text) =>
        text.Contains('&') ? PythonReference().Replace(text, m => ReplacePython(m.Groups[1].Value)) : text;

    /// <summary>
    /// ftfy's <c>unescape_html</c>: only references that end in ';', HTML 5 names and some all-caps forms of them,
    /// so that informal text such as "this&amp;not that" stays as it is.
    /// </summary>
    public static string FtfyEntities(string text) =>
        text.Contains('&') ? FtfyReference().Replace(text, m => ReplaceFtfy(m.Value)) : text;

    private static string ReplaceFtfy(string reference)
    {
        if (ClipTextTables.FtfyEntities.TryGetValue(reference[1..], out string? entity))
        {
            return entity;
        }

        if (reference.StartsWith("&#", StringComparison.Ordinal))
        {
            // ftfy keeps the reference when html.unescape decoded only a part of it.
            string unescaped = Python(reference);
            return unescaped.Contains(';') ? reference : unescaped;
        }

        return reference;
    }

    private static string ReplacePython(string reference)
    {
        if (reference[0] == '#')
        {
            bool hex = reference[1] is 'x' or 'X';
            string digits = reference[(hex ? 2 : 1)..].TrimEnd(';');
            bool parsed = hex
                ? long.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long number)
                : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number);
            if (!parsed || number > 0x10FFFF)
            {
                return "\uFFFD";
            }

            int codePoint = (int)number;
            if (ClipTextTables.InvalidCharacterReferences.TryGetValue(codePoint, out string? replacement))
            {
                return replacement;
            }

            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                return "\uFFFD";
            }

            return ClipTextTables.InvalidCodePoints.Contains(codePoint) ? string.Empty : char.ConvertFromUtf32(codePoint);
        }

        if (ClipTextTables.Html5Entities.TryGetValue(reference, out string? text))
        {
            return text;
        }

        // The longest name that starts the reference, as the HTML 5 standard defines for names without ';'.
        for (int length = reference.Length - 1; length > 1; length--)
        {
            if (ClipTextTables.Html5Entities.TryGetValue(reference[..length], out text))
            {
                return new StringBuilder(text).Append(reference, length, reference.Length - length).ToString();
            }
        }

        return "&" + reference;
    }

    // html._charref.
    [GeneratedRegex("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)", RegexOptions.CultureInvariant)]
    private static partial Regex PythonReference();

    // ftfy's HTML_ENTITY_RE.
    [GeneratedRegex("&#?[0-9A-Za-z]{1,24};", RegexOptions.CultureInvariant)]
    private static partial Regex FtfyReference();
}
