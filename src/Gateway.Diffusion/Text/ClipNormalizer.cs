using System.Text;
using Microsoft.ML.Tokenizers;

namespace Gateway.Diffusion.Text;

/// <summary>
/// OpenAI CLIP's text clean-up (simple_tokenizer.py): ftfy's <c>fix_text</c>, <c>html.unescape</c> twice, strip,
/// whitespace runs collapsed to one space, then Python's <c>str.lower()</c>.
/// </summary>
internal sealed class ClipNormalizer : Normalizer
{
    public static ClipNormalizer Instance { get; } = new();

    private ClipNormalizer()
    {
    }

    public override string Normalize(string original)
    {
        string text = FtfyFixes.FixText(original);
        text = HtmlUnescape.Python(HtmlUnescape.Python(text));
        return PythonLowerCase.Lower(CollapseWhitespace(text));
    }

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    /// <summary>
    /// <c>re.sub(r'\s+', ' ', text).strip()</c> with the <c>regex</c> module, whose <c>\s</c> is .NET's
    /// <see cref="char.IsWhiteSpace(char)"/> (unlike <c>str.isspace()</c>, it leaves U+001C–U+001F alone).
    /// </summary>
    private static string CollapseWhitespace(string text)
    {
        var builder = new StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
