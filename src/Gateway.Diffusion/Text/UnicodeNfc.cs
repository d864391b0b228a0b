using System.Text;

namespace Gateway.Diffusion.Text;

/// <summary>
/// Unicode NFC (canonical decomposition, canonical ordering, canonical composition) from our own tables, because
/// the project runs with InvariantGlobalization, where <see cref="string.Normalize()"/> leaves non-ASCII text as is.
/// </summary>
internal static partial class UnicodeNfc
{
    // Hangul syllables decompose and compose arithmetically (Unicode §3.12) rather than through the tables.
    private const int HangulBase = 0xAC00;
    private const int LeadBase = 0x1100;
    private const int VowelBase = 0x1161;
    private const int TrailBase = 0x11A7;
    private const int LeadCount = 19;
    private const int VowelCount = 21;
    private const int TrailCount = 28;
    private const int SyllableCount = LeadCount * VowelCount * TrailCount;

    // The first code point that can decompose, combine or be combined with; text below it is already NFC.
    private const char FirstNonTrivial = '\u00C0';

    private static readonly Dictionary<(int First, int Second), int> Compositions = BuildCompositions();

    /// <summary>Returns <paramref name="text"/> in Normalization Form C.</summary>
    public static string Normalize(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAnyInRange(FirstNonTrivial, char.MaxValue))
        {
            return text.ToString();
        }

        var codePoints = new List<int>(text.Length + 8);
        foreach (Rune rune in text.EnumerateRunes())
        {
            Decompose(rune.Value, codePoints);
        }

        SortCombiningMarks(codePoints);
        Compose(codePoints);

        var builder = new StringBuilder(codePoints.Count);
        foreach (int codePoint in codePoints)
        {
            builder.Append(new Rune(codePoint));
        }

        return builder.ToString();
    }

    private static void Decompose(int codePoint, List<int> output)
    {
        int syllable = codePoint - HangulBase;
        if ((uint)syllable < SyllableCount)
        {
            output.Add(LeadBase + syllable / (VowelCount * TrailCount));
            output.Add(VowelBase + syllable % (VowelCount * TrailCount) / TrailCount);
            if (syllable % TrailCount != 0)
            {
                output.Add(TrailBase + syllable % TrailCount);
            }

            return;
        }

        int row = FindDecomposition(codePoint);
        if (row < 0)
        {
            output.Add(codePoint);
            return;
        }

        ReadOnlySpan<int> table = DecompositionTable;
        Decompose(table[row + 1], output);
        if (table[row + 2] != 0)
        {
            Decompose(table[row + 2], output);
        }
    }

    /// <summary>Canonical ordering: a stable sort of each run of non-starters by combining class.</summary>
    private static void SortCombiningMarks(List<int> codePoints)
    {
        for (int i = 1; i < codePoints.Count; i++)
        {
            int current = codePoints[i];
            int currentClass = CombiningClass(current);
            if (currentClass == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0 && CombiningClass(codePoints[j - 1]) > currentClass)
            {
                codePoints[j] = codePoints[j - 1];
                j--;
            }

            codePoints[j] = current;
        }
    }

    private static void Compose(List<int> codePoints)
    {
        int starter = -1;
        int lastClass = -1; // class of the last code point kept after the starter; -1 when none is
        int written = 0;
        for (int i = 0; i < codePoints.Count; i++)
        {
            int codePoint = codePoints[i];
            int combiningClass = CombiningClass(codePoint);

            // Canonical ordering leaves the marks after a starter in ascending class order, so the last kept one
            // decides whether this code point is blocked from the starter.
            bool blocked = lastClass != -1 && (lastClass == 0 || lastClass >= combiningClass);
            if (starter >= 0 && !blocked && TryCompose(codePoints[starter], codePoint, out int composite))
            {
                codePoints[starter] = composite;
                continue;
            }

            if (combiningClass == 0)
            {
                starter = written;
                lastClass = -1;
            }
            else
            {
                lastClass = combiningClass;
            }

            codePoints[written++] = codePoint;
        }

        codePoints.RemoveRange(written, codePoints.Count - written);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        int lead = first - LeadBase;
        int vowel = second - VowelBase;
        if ((uint)lead < LeadCount && (uint)vowel < VowelCount)
        {
            composite = HangulBase + (lead * VowelCount + vowel) * TrailCount;
            return true;
        }

        int syllable = first - HangulBase;
        int trail = second - TrailBase;
        if ((uint)syllable < SyllableCount && syllable % TrailCount == 0 && trail > 0 && trail < TrailCount)
        {
            composite = first + trail;
            return true;
        }

        return Compositions.TryGetValue((first, second), out composite);
    }

    private static int CombiningClass(int codePoint)
    {
        ReadOnlySpan<int> table = CombiningClassTable;
        int low = 0;
        int high = table.Length / 3 - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (codePoint < table[middle * 3])
            {
                high = middle - 1;
            }
            else if (codePoint > table[middle * 3 + 1])
            {
                low = middle + 1;
            }
            else
            {
                return table[middle * 3 + 2];
            }
        }

        return 0;
    }

    /// <summary>The index of <paramref name="codePoint"/>'s row in <see cref="DecompositionTable"/>, or -1.</summary>
    private static int FindDecomposition(int codePoint)
    {
        ReadOnlySpan<int> table = DecompositionTable;
        int low = 0;
        int high = table.Length / 3 - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            int candidate = table[middle * 3] & ~ComposableFlag;
            if (codePoint == candidate)
            {
                return middle * 3;
            }

            if (codePoint < candidate)
            {
                high = middle - 1;
            }
            else
            {
                low = middle + 1;
            }
        }

        return -1;
    }

    private static Dictionary<(int First, int Second), int> BuildCompositions()
    {
        ReadOnlySpan<int> table = DecompositionTable;
        var compositions = new Dictionary<(int, int), int>();
        for (int row = 0; row < table.Length; row += 3)
        {
            if ((table[row] & ComposableFlag) != 0)
            {
                compositions.Add((table[row + 1], table[row + 2]), table[row] & ~ComposableFlag);
            }
        }

        return compositions;
    }
}
