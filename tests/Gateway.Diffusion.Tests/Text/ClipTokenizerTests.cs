using System.Text.Json;
using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Tests.Text;

public sealed class ClipTokenizerTests
{
    private const int Bos = 49406;
    private const int Eos = 49407;

    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "clip");
    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.Load(FixtureDirectory));

    public static TheoryData<string, int[]> GoldenCases()
    {
        using JsonDocument golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "golden_ids.json")));
        var data = new TheoryData<string, int[]>();
        foreach (JsonElement c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("prompt").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void MatchesTheReferenceTokenizer(string prompt, int[] expected)
    {
        Assert.Equal(expected, Shared.Value.EncodeTokens(prompt));
    }

    [Fact]
    public void ReadsIdsAndLengthFromTheFolder()
    {
        ClipTokenizer tokenizer = Shared.Value;
        Assert.Equal(Bos, tokenizer.BosId);
        Assert.Equal(Eos, tokenizer.EosId);
        Assert.Equal(Eos, tokenizer.PadId);
        Assert.Equal(77, tokenizer.ModelMaxLength);
    }

    [Fact]
    public void EncodesAShortPromptWithBosEosAndPadding()
    {
        TokenizedPrompt prompt = Shared.Value.Encode("a cat");

        int[] expected = [Bos, 320, 2368, Eos, .. Enumerable.Repeat(Eos, 73)];
        Assert.Equal(expected, prompt.Ids);
        Assert.False(prompt.Truncated);
        Assert.Equal(2, prompt.TokenCount);
    }

    [Fact]
    public void EncodesAnEmptyPromptAsBosEosAndPadding()
    {
        TokenizedPrompt prompt = Shared.Value.Encode("");

        int[] expected = [Bos, Eos, .. Enumerable.Repeat(Eos, 75)];
        Assert.Equal(expected, prompt.Ids);
        Assert.False(prompt.Truncated);
        Assert.Equal(0, prompt.TokenCount);
    }

    [Fact]
    public void TruncatesALongPromptAndKeepsEosLast()
    {
        TokenizedPrompt prompt = Shared.Value.Encode(string.Join(' ', Enumerable.Repeat("cat", 100)));

        Assert.Equal(77, prompt.Ids.Length);
        Assert.Equal(Bos, prompt.Ids[0]);
        Assert.All(prompt.Ids[1..76], id => Assert.Equal(2368, id));
        Assert.Equal(Eos, prompt.Ids[76]);
        Assert.True(prompt.Truncated);
        Assert.Equal(100, prompt.TokenCount);
    }

    [Fact]
    public void KeepsAPromptOfExactlyTheCapacity()
    {
        TokenizedPrompt prompt = Shared.Value.Encode(string.Join(' ', Enumerable.Repeat("cat", 75)));

        Assert.Equal(Eos, prompt.Ids[76]);
        Assert.Equal(2368, prompt.Ids[75]);
        Assert.False(prompt.Truncated);
        Assert.Equal(75, prompt.TokenCount);
    }

    [Fact]
    public void ComposesDecomposedAccentsBeforeTokenizing()
    {
        Assert.Equal(Shared.Value.EncodeTokens("caf\u00E9"), Shared.Value.EncodeTokens("cafe\u0301"));
    }

    [Theory]
    [InlineData("\"!\"")]
    [InlineData("{\"content\": \"!\", \"lstrip\": false}")]
    public void ReadsThePadTokenFromTheSpecialTokensMap(string padEntry)
    {
        using var folder = new TokenizerFolderCopy(FixtureDirectory);
        File.WriteAllText(folder.PathOf("special_tokens_map.json"),
            $"{{\"bos_token\": \"<|startoftext|>\", \"eos_token\": {{\"content\": \"<|endoftext|>\"}}, \"pad_token\": {padEntry}}}");

        ClipTokenizer tokenizer = ClipTokenizer.Load(folder.Path);
        TokenizedPrompt prompt = tokenizer.Encode("a cat");

        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal(Eos, tokenizer.EosId);
        int[] expected = [Bos, 320, 2368, Eos, .. Enumerable.Repeat(0, 73)];
        Assert.Equal(expected, prompt.Ids);
    }

    [Fact]
    public void SplitsAPadTokenOutOfThePromptAsHuggingFaceDoes()
    {
        // With SDXL's tokenizer_2 ("!" as pad), Hugging Face treats every "!" in a prompt as the special token
        // (diffusers issue #4153: "! !! !!!" gives six 0s where OpenCLIP gives 256, 748, 995); diffusers keeps that.
        using var folder = new TokenizerFolderCopy(FixtureDirectory);
        File.WriteAllText(folder.PathOf("special_tokens_map.json"), "{\"pad_token\": \"!\"}");

        Assert.Equal([0, 0, 0, 0, 0, 0], ClipTokenizer.Load(folder.Path).EncodeTokens("! !! !!!"));
        Assert.Equal([256, 748, 995], Shared.Value.EncodeTokens("! !! !!!"));
    }

    [Fact]
    public void ReadsModelMaxLengthFromTheConfig()
    {
        using var folder = new TokenizerFolderCopy(FixtureDirectory);
        File.WriteAllText(folder.PathOf("tokenizer_config.json"), "{\"model_max_length\": 4}");

        TokenizedPrompt prompt = ClipTokenizer.Load(folder.Path).Encode("a cat sat");

        Assert.Equal([Bos, 320, 2368, Eos], prompt.Ids);
        Assert.True(prompt.Truncated);
        Assert.Equal(3, prompt.TokenCount);
    }

    [Fact]
    public void DefaultsTo77WithoutAConfig()
    {
        using var folder = new TokenizerFolderCopy(FixtureDirectory);
        File.Delete(folder.PathOf("tokenizer_config.json"));

        Assert.Equal(77, ClipTokenizer.Load(folder.Path).ModelMaxLength);
    }

    [Theory]
    [InlineData("vocab.json")]
    [InlineData("merges.txt")]
    [InlineData("special_tokens_map.json")]
    public void NamesAMissingFile(string file)
    {
        using var folder = new TokenizerFolderCopy(FixtureDirectory);
        File.Delete(folder.PathOf(file));

        FileNotFoundException error = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load(folder.Path));
        Assert.Equal(folder.PathOf(file), error.FileName);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("merges.txt", "#version: 0.2\ni n\nqqq zzz\n")]
    [InlineData("special_tokens_map.json", "{\"pad_token\": 5}")]
    [InlineData("special_tokens_map.json", "{\"pad_token\": \"not-a-token\"}")]
    [InlineData("tokenizer_config.json", "{\"model_max_length\": 1000000000000000019884624838656}")]
    public void RejectsUnusableContent(string file, string content)
    {
        using var folder = new TokenizerFolderCopy(FixtureDirectory);
        File.WriteAllText(folder.PathOf(file), content);

        Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(folder.Path));
    }

    [Fact]
    public void GivesTheSameIdsUnderConcurrentUse()
    {
        string[] prompts = GoldenCases().Select(row => (string)row[0]).ToArray();
        IReadOnlyList<int>[] expected = prompts.Select(Shared.Value.EncodeTokens).ToArray();

        Parallel.For(0, 2000, i =>
        {
            int index = i % prompts.Length;
            Assert.Equal(expected[index], Shared.Value.EncodeTokens(prompts[index]));
        });
    }

    /// <summary>A temporary copy of the fixture tokenizer folder, removed on dispose.</summary>
    private sealed class TokenizerFolderCopy : IDisposable
    {
        public TokenizerFolderCopy(string source)
        {
            Path = Directory.CreateTempSubdirectory("clip-tokenizer-").FullName;
            foreach (string file in Directory.EnumerateFiles(source))
            {
                File.Copy(file, PathOf(System.IO.Path.GetFileName(file)));
            }
        }

        public string Path { get; }

        public string PathOf(string file) => System.IO.Path.Combine(Path, file);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
