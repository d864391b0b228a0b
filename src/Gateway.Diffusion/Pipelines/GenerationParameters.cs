using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Diffusion.Pipelines;

/// <summary>
/// The recipe of one generated image, as it ran (defaults resolved, trigger words and style presets applied): kept with
/// stored images and written into PNGs as A1111's <c>parameters</c> text, so that an image carries what reproduces it.
/// </summary>
public sealed record GenerationParameters
{
    [JsonPropertyName("prompt")] public required string Prompt { get; init; }
    [JsonPropertyName("negative_prompt")] public string NegativePrompt { get; init; } = "";
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("width")] public required int Width { get; init; }
    [JsonPropertyName("height")] public required int Height { get; init; }
    [JsonPropertyName("steps")] public required int Steps { get; init; }
    [JsonPropertyName("guidance")] public required double Guidance { get; init; }
    [JsonPropertyName("sampler")] public required string Sampler { get; init; }
    [JsonPropertyName("seed")] public required ulong Seed { get; init; }
    /// <summary>Image-to-image: how much of the starting picture was replaced; null for text-to-image.</summary>
    [JsonPropertyName("strength")] public double? Strength { get; init; }
    [JsonPropertyName("loras")] public IReadOnlyDictionary<string, double>? Loras { get; init; }

    /// <summary>The <c>tEXt</c> keyword A1111 writes and the tools that read its images look for.</summary>
    public const string PngKeyword = "parameters";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly JsonSerializerOptions QuotedValue = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Image <paramref name="index"/> of <paramref name="result"/>, delivered at <paramref name="width"/> x <paramref name="height"/>
    /// (the OpenAI dialect resizes to the size asked for).</summary>
    public static GenerationParameters Of(GenerationRequest request, GenerationResult result, int index, int width, int height) => new()
    {
        Prompt = request.Prompt,
        NegativePrompt = request.NegativePrompt,
        Model = request.Model,
        Width = width,
        Height = height,
        Steps = result.Steps,
        Guidance = result.Guidance,
        Sampler = result.Sampler,
        Seed = result.Images[index].Seed,
        Strength = request.InitImage?.Strength,
        Loras = Applied(request.Loras),
    };

    /// <summary>The LoRAs that changed the model: weight 0 leaves it as it is (the engine drops those), so an image made
    /// with one is the plain model's image, bytes and parameters alike.</summary>
    private static Dictionary<string, double>? Applied(IReadOnlyDictionary<string, double>? loras) =>
        loras?.Where(l => l.Value != 0).ToDictionary() is { Count: > 0 } applied ? applied : null;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GenerationParameters? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<GenerationParameters>(json, Json);

    /// <summary>A1111's infotext: the prompt (LoRAs as <c>&lt;lora:name:weight&gt;</c>), a <c>Negative prompt:</c> line when there
    /// is one, then <c>Steps: …, Sampler: …, CFG scale: …, Seed: …, Size: WxH, Model: …</c>, values quoted as A1111's
    /// <c>infotext_utils.quote</c> does.</summary>
    public string ToInfotext()
    {
        var text = new StringBuilder(Prompt);
        foreach (var (name, weight) in Loras ?? new Dictionary<string, double>())
            text.Append(CultureInfo.InvariantCulture, $" <lora:{name}:{Number(weight)}>");
        if (NegativePrompt.Length > 0) text.Append("\nNegative prompt: ").Append(NegativePrompt);
        var fields = new List<(string, string)>
        {
            ("Steps", Steps.ToString(CultureInfo.InvariantCulture)),
            ("Sampler", Sampler),
            ("CFG scale", Number(Guidance)),
            ("Seed", Seed.ToString(CultureInfo.InvariantCulture)),
            ("Size", $"{Width}x{Height}"),
            ("Model", Model),
        };
        if (Strength is { } strength) fields.Add(("Denoising strength", Number(strength)));
        text.Append('\n').AppendJoin(", ", fields.Select(f => $"{f.Item1}: {Quote(f.Item2)}"));
        return text.ToString();
    }

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A1111 quotes a value holding a comma, newline or colon as a JSON string, so the line still splits on ", ".</summary>
    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\n:") < 0 ? value : JsonSerializer.Serialize(value, QuotedValue);
}
