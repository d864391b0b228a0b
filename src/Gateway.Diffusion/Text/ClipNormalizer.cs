using System.Text;
using Microsoft.ML.Tokenizers;

namespace Gateway.Diffusion.Text;

/// <summary>
/// CLIP's text clean-up: NFC (standing in for ftfy), whitespace runs collapsed to one space, ends stripped,
/// then lower-cased as Python's <c>str.lower()</c> does.
/// </summary>
internal sealed class ClipNormalizer : Normalizer
{
    public static ClipNormalizer Instance { get; } = new();

    private ClipNormalizer()
    {
    }

    public override string Normalize(string original) => Normalize(original.AsSpan());

    public override string Normalize(ReadOnlySpan<char> original)
    {
        string composed = UnicodeNfc.Normalize(original);
        var builder = new StringBuilder(composed.Length);
        bool pendingSpace = false;
        foreach (char c in composed)
        {
            if (IsPythonWhitespace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            // Python lower-cases İ to "i̇" (SpecialCasing.txt); .NET's invariant casing leaves it unchanged.
            if (c == '\u0130')
            {
                builder.Append("i\u0307");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString().ToLowerInvariant();
    }

    /// <summary>What Python's <c>re</c> matches with <c>\s</c> in a str pattern (<c>str.isspace()</c>).</summary>
    private static bool IsPythonWhitespace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';
}
