using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Gateway.Diffusion.Text;

/// <summary>Lookups over the generated tables of ftfy and of Python's <c>html</c> module (<see cref="ClipTextData"/>).</summary>
internal static class ClipTextTables
{
    public static FrozenDictionary<int, string> CharacterFixes { get; } =
        ClipTextData.CharacterFixList.ToFrozenDictionary(f => f.CodePoint, f => f.Replacement);

    public static FrozenDictionary<string, string> Html5Entities { get; } =
        ClipTextData.Html5EntityList.ToFrozenDictionary(e => e.Name, e => e.Text, StringComparer.Ordinal);

    /// <summary>ftfy's HTML_ENTITIES without the leading '&amp;': every HTML 5 name that ends in ';', plus all-caps forms.</summary>
    public static FrozenDictionary<string, string> FtfyEntities { get; } = ClipTextData.Html5EntityList
        .Where(e => e.Name.EndsWith(';'))
        .Concat(ClipTextData.FtfyUpperCaseEntityList)
        .ToFrozenDictionary(e => e.Name, e => e.Text, StringComparer.Ordinal);

    public static FrozenDictionary<int, string> InvalidCharacterReferences { get; } =
        ClipTextData.InvalidCharacterReferenceList.ToFrozenDictionary(r => r.Number, r => r.Text);

    public static FrozenSet<int> InvalidCodePoints { get; } = ClipTextData.InvalidCodePointList.ToFrozenSet();

    /// <summary>The character that byte <paramref name="value"/> (0x80–0x9F) stands for in sloppy Windows-1252.</summary>
    public static char SloppyWindows1252(int value) => ClipTextData.SloppyWindows1252High[value - 0x80];

    /// <summary>Whether sloppy Windows-1252 has a byte for <paramref name="c"/>.</summary>
    public static bool InSloppyWindows1252(char c) =>
        c is < '\u001A' or (> '\u001A' and < '\u0080') or (>= '\u00A0' and <= '\u00FF') or '\uFFFD'
        || ClipTextData.SloppyWindows1252High.Contains(c);

    /// <summary>The byte sloppy Windows-1252 writes for <paramref name="c"/>; U+FFFD becomes 0x1A, as in ftfy.</summary>
    public static byte SloppyWindows1252Byte(char c) => c switch
    {
        '\uFFFD' => 0x1A,
        < '\u0080' or (>= '\u00A0' and <= '\u00FF') => (byte)c,
        _ => (byte)(0x80 + ClipTextData.SloppyWindows1252High.IndexOf(c, StringComparison.Ordinal)),
    };

    /// <summary>ftfy's is_bad: whether the text contains a sequence that is typical of mojibake.</summary>
    public static Regex Badness { get; } = new(
        ClipTextData.BadnessPattern,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
}
