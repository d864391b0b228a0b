using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Diffusion.Text;

/// <summary>
/// The part of ftfy's <c>fix_text</c> (ftfy 6.3.1, default settings) that matters for prompts, in ftfy's order:
/// HTML entities, UTF-8 read as Latin-1 or Windows-1252, C1 controls, Latin ligatures, character width, curly
/// quotes, line breaks, lone surrogates, terminal escapes, control characters, then NFC; repeated until nothing
/// changes.
/// </summary>
/// <remarks>
/// Not ported: mojibake through the other single-byte encodings ftfy tries (Windows-1250/1251/1253/1254/1257,
/// ISO-8859-2, MacRoman, CP437), its restore_byte_a0 and decode_inconsistent_utf8 repairs, and the "utf-8-variants"
/// decoder (CESU-8); such text is left as it is. The passes are capped where ftfy loops until stable, so that
/// nested text such as "&amp;amp;amp;…" costs linear time; no realistic prompt needs as many.
/// </remarks>
internal static partial class FtfyFixes
{
    private const int MaxPasses = 8;

    // fix_text fixes the text in segments: lines, or pieces of this many characters.
    private const int MaxSegmentLength = 1_000_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string FixText(string text)
    {
        var output = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        int position = 0;
        while (position < text.Length)
        {
            int lineEnd = text.IndexOf('\n', position);
            int end = lineEnd < 0 ? text.Length : lineEnd + 1;
            if (end - position > MaxSegmentLength)
            {
                end = position + MaxSegmentLength;
                if (char.IsHighSurrogate(text[end - 1]))
                {
                    end--;
                }
            }

            string segment = text[position..end];

            // ftfy's "auto" setting: HTML entities are decoded until the first segment that contains '<'.
            unescapeHtml &= !segment.Contains('<');
            output.Append(FixSegment(segment, unescapeHtml));
            position = end;
        }

        return output.ToString();
    }

    private static string FixSegment(string text, bool unescapeHtml)
    {
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            string original = text;
            if (unescapeHtml)
            {
                text = HtmlUnescape.FtfyEntities(text);
            }

            text = FixEncoding(text);
            text = FixCharacters(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = TerminalEscape().Replace(text, string.Empty);
            text = RemoveControlCharacters(text);
            text = UnicodeNfc.Normalize(text);
            if (text == original)
            {
                break;
            }
        }

        return text;
    }

    private static string FixEncoding(string text)
    {
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            string fixedText = FixEncodingOneStep(text);
            if (fixedText == text)
            {
                break;
            }

            text = fixedText;
        }

        return text;
    }

    private static string FixEncodingOneStep(string text)
    {
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u007F') || !ClipTextTables.Badness.IsMatch(text))
        {
            return text;
        }

        bool latin1 = !text.AsSpan().ContainsAnyExceptInRange('\0', '\u00FF');
        bool sloppy1252 = text.All(ClipTextTables.InSloppyWindows1252);
        if (latin1 && TryDecodeUtf8(Latin1Bytes(text), out string? decoded))
        {
            return decoded;
        }

        if (sloppy1252 && TryDecodeUtf8(ReplaceLossySequences(SloppyWindows1252Bytes(text)), out decoded))
        {
            return decoded;
        }

        // What is left of C1 controls was meant as Windows-1252 (ftfy tries a strict decode, then fix_c1_controls:
        // both come to this).
        return FixC1Controls(text);
    }

    private static byte[] Latin1Bytes(string text) => text.Select(c => (byte)c).ToArray();

    private static byte[] SloppyWindows1252Bytes(string text) => text.Select(ClipTextTables.SloppyWindows1252Byte).ToArray();

    /// <summary>ftfy's replace_lossy_sequences: UTF-8 sequences whose bytes were lost (0x1A) become U+FFFD.</summary>
    private static byte[] ReplaceLossySequences(byte[] bytes)
    {
        string asLatin1 = string.Create(bytes.Length, bytes, (span, b) =>
        {
            for (int i = 0; i < b.Length; i++)
            {
                span[i] = (char)b[i];
            }
        });
        string replaced = LossyUtf8().Replace(asLatin1, "\u00EF\u00BF\u00BD");
        return Latin1Bytes(replaced);
    }

    private static bool TryDecodeUtf8(byte[] bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = null;
            return false;
        }
    }

    private static string FixC1Controls(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (int i = 0; i < source.Length; i++)
        {
            char c = source[i];
            span[i] = c is >= '\u0080' and <= '\u009F' ? ClipTextTables.SloppyWindows1252(c) : c;
        }
    });

    /// <summary>ftfy's C1, ligature, width and curly-quote fixes, each a replacement of one character.</summary>
    private static string FixCharacters(string text)
    {
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u007F'))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        ReadOnlySpan<char> rest = text;
        while (!rest.IsEmpty)
        {
            int ascii = rest.IndexOfAnyExceptInRange('\0', '\u007F');
            if (ascii < 0)
            {
                builder.Append(rest);
                break;
            }

            builder.Append(rest[..ascii]);
            rest = rest[ascii..];
            Rune.DecodeFromUtf16(rest, out Rune rune, out int width);
            if (ClipTextTables.CharacterFixes.TryGetValue(rune.Value, out string? replacement))
            {
                builder.Append(replacement);
            }
            else
            {
                builder.Append(rest[..width]);
            }

            rest = rest[width..];
        }

        return builder.ToString();
    }

    private static string FixLineBreaks(string text) => text
        .Replace("\r\n", "\n", StringComparison.Ordinal)
        .Replace('\r', '\n')
        .Replace('\u2028', '\n')
        .Replace('\u2029', '\n')
        .Replace('\u0085', '\n');

    /// <summary>ftfy's fix_surrogates: a surrogate without its partner becomes U+FFFD.</summary>
    private static string FixSurrogates(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            return text;
        }

        char[] chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// ftfy's remove_control_chars: C0 controls other than tab, line feed, form feed and carriage return, DEL, the
    /// deprecated Arabic format controls, interlinear annotation marks, the object replacement character and the BOM.
    /// </summary>
    private static string RemoveControlCharacters(string text)
    {
        if (text.AsSpan().IndexOfAny(ControlCharacters) < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (!ControlCharacters.Contains(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> ControlCharacters = System.Buffers.SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015"
        + "\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F"
        + "\u206A\u206B\u206C\u206D\u206E\u206F\uFEFF\uFFF9\uFFFA\uFFFB\uFFFC");

    // ftfy's ANSI_RE.
    [GeneratedRegex("\u001B\\[(?:[0-9]|;)*[a-zA-Z]", RegexOptions.CultureInvariant)]
    private static partial Regex TerminalEscape();

    // ftfy's LOSSY_UTF8_RE, over bytes written as the characters U+0000–U+00FF.
    [GeneratedRegex(
        "[\u00C2-\u00DF]\u001A"
        + "|[\u00C2-\u00C3][?]"
        + "|\u00ED[\u00A0-\u00AF][\u001A?]\u00ED[\u00B0-\u00BF][\u001A?\u0080-\u00BF]"
        + "|\u00ED[\u00A0-\u00AF][\u001A?\u0080-\u00BF]\u00ED[\u00B0-\u00BF][\u001A?]"
        + "|[\u00E0-\u00EF][\u001A?][\u001A\u0080-\u00BF]"
        + "|[\u00E0-\u00EF][\u001A\u0080-\u00BF][\u001A?]"
        + "|[\u00F0-\u00F4][\u001A?][\u001A\u0080-\u00BF][\u001A\u0080-\u00BF]"
        + "|[\u00F0-\u00F4][\u001A\u0080-\u00BF][\u001A?][\u001A\u0080-\u00BF]"
        + "|[\u00F0-\u00F4][\u001A\u0080-\u00BF][\u001A\u0080-\u00BF][\u001A?]"
        + "|\u001A",
        RegexOptions.CultureInvariant)]
    private static partial Regex LossyUtf8();
}
