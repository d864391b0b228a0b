using System.ComponentModel;
using System.Text.Json.Serialization;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;

namespace Gateway.Apis.OpenAi;

/// <summary>The answer of <c>GET /v1/models</c>, in OpenAI's list shape.</summary>
public sealed record ModelList([property: JsonPropertyName("data")] IReadOnlyList<ModelObject> Data)
{
    [JsonPropertyName("object"), JsonPropertyOrder(-1)]
    public string Object => "list";
}

/// <summary>One served model: OpenAI's model object plus what a client needs to ask for images.</summary>
public sealed record ModelObject
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object => "model";
    [JsonPropertyName("created"), Description("Unix time in seconds when the model's folder last changed.")]
    public required long Created { get; init; }
    [JsonPropertyName("owned_by")] public string OwnedBy => "gateway";
    [JsonPropertyName("family"), Description("sd15, sd2, sdxl10, sdxl-turbo, ssd-1b, sdxl-refiner, lcm, flux-schnell, flux-dev, …")]
    public required string Family { get; init; }
    [JsonPropertyName("refiner"), Description("The SDXL refiner that finishes this model's images when a request asks for it (`refiner: true`; Hyperbolic `enable_refiner`), or null.")]
    public required string? Refiner { get; init; }
    [JsonPropertyName("native_size"), Description("The size the model was trained at.")]
    public required string NativeSize { get; init; }
    [JsonPropertyName("sizes"), Description("The model's own sizes (native first), accepted as size besides the standard list.")]
    public required IReadOnlyList<string> Sizes { get; init; }
    [JsonPropertyName("default_steps")] public required int DefaultSteps { get; init; }
    [JsonPropertyName("default_guidance")] public required double DefaultGuidance { get; init; }
    [JsonPropertyName("default_sampler"), Description("Empty: the export's own scheduler.")]
    public required string DefaultSampler { get; init; }
    [JsonPropertyName("ready"), Description("Loaded and serving.")] public required bool Ready { get; init; }
    [JsonPropertyName("base"), Description("composite15 / compositexl: the model whose sessions serve this one; else null.")]
    public string? Base { get; init; }
    [JsonPropertyName("lora"), Description("composite15 / compositexl: the LoRA this model adds to its base, and its weight; else null.")]
    public ModelLora? Lora { get; init; }

    public static ModelObject From(ModelStatus status)
    {
        var entry = status.Entry;
        return new ModelObject
        {
            Id = entry.Id,
            Created = Directory.Exists(entry.Directory) ? new DateTimeOffset(Directory.GetLastWriteTimeUtc(entry.Directory)).ToUnixTimeSeconds() : 0,
            Family = entry.Family.ToName(),
            Refiner = entry.Refiner,
            NativeSize = entry.NativeSize.ToString(),
            Sizes = entry.ExtraSizes.Prepend(entry.NativeSize).Distinct().Select(s => s.ToString()).ToList(),
            DefaultSteps = entry.DefaultSteps,
            DefaultGuidance = entry.DefaultGuidance,
            DefaultSampler = entry.DefaultSampler,
            Ready = status.State == ModelState.Ready,
            Base = entry.Composite?.Base,
            Lora = entry.Composite is { } composite ? new ModelLora(composite.Lora, composite.Weight) : null,
        };
    }
}

/// <summary>A composite model's LoRA.</summary>
public sealed record ModelLora([property: JsonPropertyName("id")] string Id, [property: JsonPropertyName("weight")] double Weight);
