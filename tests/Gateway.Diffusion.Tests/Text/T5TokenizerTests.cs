using System.Text.Json;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Tests.Text;

/// <summary>The T5 tokenizer against the sentencepiece library on a unigram model (Fixtures/t5, origin in its README).</summary>
public sealed class T5TokenizerTests
{
    private const int Eos = 1;
    private const int Pad = 0;

    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "t5");
    private static readonly Lazy<T5Tokenizer> Shared = new(() => T5Tokenizer.Load(FixtureDirectory, 16));

    public static TheoryData<string, int[]> GoldenCases()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "goldens.json")));
        var data = new TheoryData<string, int[]>();
        foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray());
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void MatchesTheSentencePieceLibrary(string text, int[] expected)
    {
        Assert.Equal(expected, Shared.Value.EncodeTokens(text));
    }

    [Fact]
    public void AppendsEosAndPadsWithTheT5Ids()
    {
        var tokenizer = Shared.Value;
        Assert.Equal(Eos, tokenizer.EosId);
        Assert.Equal(Pad, tokenizer.PadId);

        var prompt = tokenizer.Encode("a photo of a cat");

        // sentencepiece: [7, 226, 174, 50, 160, 5, 7, 69, 349], then EOS and padding to 16.
        Assert.Equal([7, 226, 174, 50, 160, 5, 7, 69, 349, Eos, Pad, Pad, Pad, Pad, Pad, Pad], prompt.Ids);
        Assert.False(prompt.Truncated);
        Assert.Equal(9, prompt.TokenCount);
    }

    [Fact]
    public void TruncatesToLeaveRoomForEos()
    {
        const string text = "a cinematic photograph of a red fox in the snow, 35mm, golden hour, highly detailed";
        var tokens = Shared.Value.EncodeTokens(text);

        var prompt = Shared.Value.Encode(text);

        Assert.True(prompt.Truncated);
        Assert.Equal(tokens.Count, prompt.TokenCount);
        Assert.Equal(tokens.Take(15).Append(Eos), prompt.Ids);
        Assert.Equal(15, Shared.Value.MaxPromptTokens);
    }

    [Fact]
    public void EmptyPromptIsEosThenPadding()
    {
        Assert.Equal(new[] { Eos }.Concat(Enumerable.Repeat(Pad, 15)), Shared.Value.Encode("").Ids);
    }

    [Fact]
    public void MissingModelFileIsReported()
    {
        var e = Assert.Throws<FileNotFoundException>(() => T5Tokenizer.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "clip"), 256));
        Assert.Contains("spiece.model", e.Message);
    }
}
