using System.Text.Json;

namespace Gateway.Streaming;

/// <summary>JSON for event data: compact, and base64's '+' and '/' left as they are.</summary>
public static class SseJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
