using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Errors;

/// <summary>Writes the shared error envelope.</summary>
public static class ApiErrorWriter
{
    public sealed record ErrorBody(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("param")] string? Param,
        [property: JsonPropertyName("code")] string? Code);

    public sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody Error);

    // Relaxed escaping keeps quotes and apostrophes in messages readable in raw curl output.
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task WriteAsync(HttpContext context, ApiException error)
    {
        var response = context.Response;
        // The job id names the request whatever its outcome, so it survives the clearing of the other headers.
        var jobId = response.Headers[Apis.Shared.JobIds.Header];
        response.Clear();
        if (jobId.Count > 0) response.Headers[Apis.Shared.JobIds.Header] = jobId;
        response.StatusCode = error.Status;
        if (error.RetryAfter is { } retry)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in error.Headers) response.Headers[name] = value;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body,
            new ErrorEnvelope(new ErrorBody(error.Message, error.Type, error.Param, error.Code)), Json, context.RequestAborted);
    }
}
