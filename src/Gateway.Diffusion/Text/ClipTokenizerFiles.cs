using System.Text.Json;

namespace Gateway.Diffusion.Text;

/// <summary>The contents of a diffusers <c>tokenizer/</c> folder.</summary>
internal sealed record ClipTokenizerFiles(
    Dictionary<string, int> Vocabulary,
    IReadOnlyList<string> Merges,
    string BosToken,
    string EosToken,
    string PadToken,
    string UnknownToken,
    int ModelMaxLength)
{
    private const string VocabularyFile = "vocab.json";
    private const string MergesFile = "merges.txt";
    private const string SpecialTokensFile = "special_tokens_map.json";
    private const string ConfigFile = "tokenizer_config.json";

    // CLIP's text encoders have 77 position embeddings; a tokenizer_config.json without model_max_length means that.
    private const int DefaultModelMaxLength = 77;

    public static ClipTokenizerFiles Read(string directory)
    {
        string vocabularyPath = RequireFile(directory, VocabularyFile);
        string mergesPath = RequireFile(directory, MergesFile);
        string specialTokensPath = RequireFile(directory, SpecialTokensFile);
        string configPath = Path.Combine(directory, ConfigFile);

        Dictionary<string, int> vocabulary;
        using (FileStream stream = File.OpenRead(vocabularyPath))
        {
            vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"'{vocabularyPath}' holds no vocabulary.");
        }

        using JsonDocument specialTokens = JsonDocument.Parse(File.ReadAllText(specialTokensPath));
        JsonElement map = RequireObject(specialTokens, specialTokensPath);

        // Absent entries take the defaults of Hugging Face's CLIPTokenizer constructor.
        return new ClipTokenizerFiles(
            vocabulary,
            ReadMerges(mergesPath),
            SpecialToken(map, "bos_token", "<|startoftext|>"),
            SpecialToken(map, "eos_token", "<|endoftext|>"),
            SpecialToken(map, "pad_token", "<|endoftext|>"),
            SpecialToken(map, "unk_token", "<|endoftext|>"),
            File.Exists(configPath) ? ReadModelMaxLength(configPath) : DefaultModelMaxLength);
    }

    /// <summary>The vocabulary id of <paramref name="token"/>, which special_tokens_map.json names.</summary>
    public int IdOf(string token) => Vocabulary.TryGetValue(token, out int id)
        ? id
        : throw new InvalidDataException($"{SpecialTokensFile} names '{token}', which is not in {VocabularyFile}.");

    private static string RequireFile(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"CLIP tokenizer file '{path}' is missing.", path);
    }

    private static JsonElement RequireObject(JsonDocument document, string path) =>
        document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement
            : throw new InvalidDataException($"'{path}' is not a JSON object.");

    private static List<string> ReadMerges(string path) =>
        File.ReadLines(path)
            .Where(line => line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal))
            .ToList();

    private static string SpecialToken(JsonElement map, string key, string fallback)
    {
        if (!map.TryGetProperty(key, out JsonElement value))
        {
            return fallback;
        }

        // Either "token" or an AddedToken object {"content": "token", ...}.
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out JsonElement content))
        {
            value = content;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{SpecialTokensFile}: '{key}' is neither a token nor {{\"content\": token}}.");
    }

    private static int ReadModelMaxLength(string path)
    {
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(path));
        if (!RequireObject(config, path).TryGetProperty("model_max_length", out JsonElement value))
        {
            return DefaultModelMaxLength;
        }

        // BOS and EOS need two places; Hugging Face's "no limit" sentinel (~1e30) is not a usable length here.
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int length) && length >= 2
            ? length
            : throw new InvalidDataException($"'{path}': model_max_length {value} is not a usable sequence length.");
    }
}
