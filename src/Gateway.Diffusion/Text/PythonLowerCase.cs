using System.Globalization;
using System.Text;

namespace Gateway.Diffusion.Text;

/// <summary>
/// Python's <c>str.lower()</c>: .NET's invariant simple lower-casing plus the two rules of SpecialCasing.txt that
/// Python applies: İ becomes "i̇", and Σ becomes final ς at the end of a word.
/// </summary>
internal static class PythonLowerCase
{
    public static string Lower(string text)
    {
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u007F'))
        {
            return text.ToLowerInvariant();
        }

        Rune[] runes = text.EnumerateRunes().ToArray();
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            Rune rune = runes[i];
            if (rune.Value == 0x130)
            {
                builder.Append("i\u0307");
            }
            else if (rune.Value == 0x3A3)
            {
                builder.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            }
            else
            {
                builder.Append(Rune.ToLowerInvariant(rune));
            }
        }

        return builder.ToString();
    }

    /// <summary>Unicode's Final_Sigma context: a cased letter before (case-ignorables skipped), none after.</summary>
    private static bool IsFinalSigma(Rune[] runes, int index)
    {
        int before = index - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before]))
        {
            before--;
        }

        if (before < 0 || !IsCased(runes[before]))
        {
            return false;
        }

        int after = index + 1;
        while (after < runes.Length && IsCaseIgnorable(runes[after]))
        {
            after++;
        }

        return after == runes.Length || !IsCased(runes[after]);
    }

    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(rune) != rune
        || Rune.ToUpperInvariant(rune) != rune;

    /// <summary>Case_Ignorable: marks, format characters, modifiers, and the word-internal punctuation of UAX #29.</summary>
    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
