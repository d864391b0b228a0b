using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Tests.Text;

/// <summary>
/// The clean-up OpenAI's tokenizer does before BPE (ftfy, html.unescape, Python's lower-casing, the regex module's
/// whitespace), against ids that the reference itself gave (Fixtures/clip/ftfy_golden_ids.json, see its "source").
/// </summary>
public sealed class ClipTextFidelityTests
{
    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "clip");
    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.Load(FixtureDirectory));

    public static TheoryData<string, int[]> ReferenceCases()
    {
        using JsonDocument golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "ftfy_golden_ids.json")));
        var data = new TheoryData<string, int[]>();
        foreach (JsonElement c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("prompt").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void MatchesOpenAiClipWithFtfy(string prompt, int[] expected)
    {
        Assert.Equal(expected, Shared.Value.EncodeTokens(prompt));
    }

    [Theory]
    [InlineData("don\u2019t", new[] { 847, 713 })]
    [InlineData("\uFF21\uFF22\uFF23", new[] { 5334 })]
    [InlineData("\uFB01ne", new[] { 3797 })]
    [InlineData("\uFEFFcat", new[] { 2368 })]
    [InlineData("caf\u00C3\u00A9", new[] { 15304 })]
    [InlineData("R&amp;D", new[] { 337, 261, 323 })]
    public void FixesTheReportedCases(string prompt, int[] expected)
    {
        Assert.Equal(expected, Shared.Value.EncodeTokens(prompt));
    }

    [Fact]
    public void GivesTheCjkCommaItsAsciiId()
    {
        IReadOnlyList<int> ids = Shared.Value.EncodeTokens("\u732B\uFF0C\u72D7");
        Assert.Equal(267, ids[3]);
        Assert.Equal(7, ids.Count);
    }

    [Fact]
    public void LowerCasesAFinalSigmaAsPythonDoes()
    {
        IReadOnlyList<int> ids = Shared.Value.EncodeTokens("\u039F\u0394\u039F\u03A3");
        Assert.Equal([139, 480], ids.Skip(ids.Count - 2));
    }

    [Fact]
    public void LowerCasesEveryCharacterAsPythonDoes()
    {
        // Python 3.11's str.lower() of each code point it changes (Fixtures/clip/python_lower.txt).
        var mismatches = new List<string>();
        foreach (string line in File.ReadLines(Path.Combine(FixtureDirectory, "python_lower.txt")))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            int[] codes = line.Split(' ').Select(h => int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            string upper = char.ConvertFromUtf32(codes[0]);
            string expected = string.Concat(codes[1..].Select(char.ConvertFromUtf32));
            string actual = PythonLowerCase.Lower(upper);
            if (actual != expected)
            {
                mismatches.Add($"U+{codes[0]:X4}");
            }
        }

        Assert.Empty(mismatches);
    }

    [Theory]
    [InlineData("a\u001Cb")]
    [InlineData("a\u001Fb")]
    public void DoesNotTreatInformationSeparatorsAsWhitespace(string prompt)
    {
        // ftfy removes them, and the regex module's \s does not match them: "a\x1cb" is the one word "ab".
        Assert.Equal(Shared.Value.EncodeTokens("ab"), Shared.Value.EncodeTokens(prompt));
    }

    [Fact]
    public void LeavesOrdinaryAsciiAlone()
    {
        const string prompt = "A photo of an astronaut riding a horse on Mars, 4k, (masterpiece:1.2) & R&D";
        Assert.Equal(prompt.ToLowerInvariant(), ClipNormalizer.Instance.Normalize(prompt));
    }

    [Fact]
    public void TokenizesAMebibyteWordQuickly()
    {
        string word = new('a', 1 << 20);
        AssertQuick(word);
    }

    [Fact]
    public void TokenizesAMebibyteOfMixedTextQuickly()
    {
        var builder = new StringBuilder(1 << 20);
        var random = new Random(19);
        string[] pieces = ["caf\u00C3\u00A9 ", "&amp;", "\u201Cquoted\u201D ", "\uFF21\uFF22 ", "\u039F\u03A3 ", "xyz", "!!!", "\uD83D\uDC31", " "];
        while (builder.Length < 1 << 20)
        {
            builder.Append(pieces[random.Next(pieces.Length)]);
        }

        AssertQuick(builder.ToString());
    }

    [Fact]
    public void CutsOnlyWordsLongerThanAnyRealOne()
    {
        string word = string.Concat(Enumerable.Repeat("ab", ClipPreTokenizer.MaxWordLength / 2));
        IReadOnlyList<int> whole = Shared.Value.EncodeTokens(word);
        IReadOnlyList<int> cut = Shared.Value.EncodeTokens(word + "ab");

        // A word at the limit is one BPE word, as the reference has it; one past it becomes two words.
        Assert.Equal(whole, cut.Take(whole.Count));
        Assert.Equal(Shared.Value.EncodeTokens("ab"), cut.Skip(whole.Count));
    }

    [Fact]
    public void CountsTokensExactlyUpToTheLimitAndSaysWhenItStopped()
    {
        TokenizedPrompt atLimit = Shared.Value.Encode(string.Join(' ', Enumerable.Repeat("cat", ClipTokenizer.MaxCountedTokens)));
        TokenizedPrompt beyond = Shared.Value.Encode(string.Join(' ', Enumerable.Repeat("cat", 3 * ClipTokenizer.MaxCountedTokens)));

        Assert.Equal(ClipTokenizer.MaxCountedTokens, atLimit.TokenCount);
        Assert.False(atLimit.TokenCountIsLowerBound);
        Assert.Equal(ClipTokenizer.MaxCountedTokens + 1, beyond.TokenCount);
        Assert.True(beyond.TokenCountIsLowerBound);
        Assert.Equal(atLimit.Ids, beyond.Ids);
    }

    [Fact]
    public void ReadsAtMostMaxReadLengthCharacters()
    {
        TokenizedPrompt prompt = Shared.Value.Encode(new string(' ', ClipTokenizer.MaxReadLength) + "cat");

        Assert.Equal(0, prompt.TokenCount);
        Assert.True(prompt.Truncated);
        Assert.True(prompt.TokenCountIsLowerBound);
    }

    private static void AssertQuick(string prompt)
    {
        // Once to have the code jitted at full optimisation, as in a running server; then measured.
        Shared.Value.Encode(prompt);
        var watch = Stopwatch.StartNew();
        TokenizedPrompt tokens = Shared.Value.Encode(prompt);
        watch.Stop();

        Assert.True(tokens.Truncated);
        Assert.True(tokens.TokenCountIsLowerBound);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed.TotalMilliseconds:F0} ms");
    }
}
