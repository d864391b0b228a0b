using System.Text.Json.Serialization;

namespace Gateway.Credits;

/// <summary>One charge: a finished job's cost.</summary>
public sealed record LedgerEntry(
    [property: JsonIgnore] string Owner,
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("model_id")] string Model,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("num_iterations")] int Steps,
    [property: JsonPropertyName("credits")] double Credits,
    [property: JsonPropertyName("charged_at")] string ChargedAt);
