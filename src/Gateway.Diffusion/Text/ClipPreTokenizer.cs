using System.Text;
using Microsoft.ML.Tokenizers;

namespace Gateway.Diffusion.Text;

/// <summary>
/// Splits normalised text as Hugging Face's slow CLIPTokenizer does: literal special tokens first, then each
/// remaining stretch by CLIP's pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c> (case-insensitive), with whitespace dropped.
/// </summary>
/// <remarks>
/// A hand-written scanner rather than a .NET Regex: .NET matches UTF-16 code units, so a letter outside the BMP
/// (a surrogate pair) would not count as <c>\p{L}</c>, while Python's <c>regex</c> module matches code points.
/// Runs longer than <see cref="MaxWordLength"/> are cut into pieces, which bounds the tokenizer's work per character.
/// </remarks>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    /// <summary>The longest word handed to BPE, in UTF-16 code units.</summary>
    public const int MaxWordLength = 256;

    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    private readonly string[] _specialTokens;

    public ClipPreTokenizer(IEnumerable<string> specialTokens)
    {
        // Longest first, so that one special token containing another wins, as in Hugging Face's trie.
        _specialTokens = specialTokens.Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length).ToArray();
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var splits = new List<(int Offset, int Length)>();
        int position = 0;
        while (position < text.Length)
        {
            (int specialStart, int specialLength) = FindSpecialToken(text, position);
            SplitByPattern(text, position, specialStart, splits);
            if (specialLength == 0)
            {
                break;
            }

            splits.Add((specialStart, specialLength));
            position = specialStart + specialLength;
        }

        return splits;
    }

    /// <summary>The earliest special token at or after <paramref name="start"/>; (text length, 0) when there is none.</summary>
    private (int Start, int Length) FindSpecialToken(ReadOnlySpan<char> text, int start)
    {
        (int Start, int Length) best = (text.Length, 0);
        foreach (string token in _specialTokens)
        {
            int index = text[start..].IndexOf(token, StringComparison.Ordinal);
            if (index >= 0 && start + index < best.Start)
            {
                best = (start + index, token.Length);
            }
        }

        return best;
    }

    private static void SplitByPattern(ReadOnlySpan<char> text, int start, int end, List<(int, int)> splits)
    {
        int position = start;
        while (position < end)
        {
            ReadOnlySpan<char> rest = text[position..end];
            Rune rune = RuneAt(rest, out int width);
            if (rune.Value == '\'' && MatchContraction(rest) is int contractionLength)
            {
                splits.Add((position, contractionLength));
                position += contractionLength;
            }
            else if (Rune.IsWhiteSpace(rune))
            {
                position += width;
            }
            else if (Rune.IsNumber(rune))
            {
                splits.Add((position, width)); // one digit per token
                position += width;
            }
            else
            {
                // A run of letters, or a run of anything that is neither letter, digit nor whitespace.
                bool letters = Rune.IsLetter(rune);
                int runEnd = position + width;
                while (runEnd < end)
                {
                    Rune next = RuneAt(text[runEnd..end], out int nextWidth);
                    bool sameKind = letters
                        ? Rune.IsLetter(next)
                        : !Rune.IsLetter(next) && !Rune.IsNumber(next) && !Rune.IsWhiteSpace(next);
                    if (!sameKind)
                    {
                        break;
                    }

                    runEnd += nextWidth;
                }

                AddInPieces(text, position, runEnd, splits);
                position = runEnd;
            }
        }
    }

    /// <summary>
    /// Adds a run as one word, or as pieces of at most <see cref="MaxWordLength"/> characters when it is longer:
    /// BPE's cost grows with the square of a word's length, and no word of a real prompt comes near this one.
    /// </summary>
    private static void AddInPieces(ReadOnlySpan<char> text, int start, int end, List<(int, int)> splits)
    {
        while (end - start > MaxWordLength)
        {
            int pieceEnd = start + MaxWordLength;
            if (char.IsLowSurrogate(text[pieceEnd]) && char.IsHighSurrogate(text[pieceEnd - 1]))
            {
                pieceEnd--;
            }

            splits.Add((start, pieceEnd - start));
            start = pieceEnd;
        }

        splits.Add((start, end - start));
    }

    private static int? MatchContraction(ReadOnlySpan<char> text)
    {
        foreach (string contraction in Contractions)
        {
            if (text.StartsWith(contraction, StringComparison.OrdinalIgnoreCase))
            {
                return contraction.Length;
            }
        }

        return null;
    }

    private static Rune RuneAt(ReadOnlySpan<char> text, out int width)
    {
        // A lone surrogate decodes as U+FFFD (a symbol), so it lands in a punctuation run.
        Rune.DecodeFromUtf16(text, out Rune rune, out width);
        return rune;
    }
}
