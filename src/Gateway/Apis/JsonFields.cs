using System.Globalization;
using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Apis;

/// <summary>
/// The one validation vocabulary of every dialect: typed reads of a JSON object's fields, each failing with a 400 that
/// names the field by its JSON path. JSON <c>null</c> counts as absent. Fields never read are reported by
/// <see cref="UnreadFields"/>, so a dialect can refuse (or list) parameters it does not support.
/// </summary>
public sealed class JsonFields
{
    private readonly JsonElement _object;
    private readonly string _path;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private JsonFields(JsonElement jsonObject, string path)
    {
        _object = jsonObject;
        _path = path;
    }

    /// <summary>Reads a JSON object body of at most <paramref name="maxBytes"/>: 415 for another media type or a charset
    /// other than UTF-8, 413 when larger, 400 when it is not a JSON object of valid Unicode text.</summary>
    public static async Task<JsonFields> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                "The body must be JSON: send 'Content-Type: application/json'.", null, "unsupported_media_type");
        // JSON is UTF-8 (RFC 8259); a body declared otherwise would be misread, not converted.
        if (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.Parse(request.ContentType).Charset is { HasValue: true } charset &&
            !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"The body must be UTF-8 JSON; charset '{charset}' is not supported.", null, "unsupported_media_type");
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (IOException e) when (e is not Microsoft.AspNetCore.Connections.ConnectionResetException && !cancellationToken.IsCancellationRequested)
        {
            // Kestrel reports some broken framing (a chunk size beyond 64 bits) as an IOException rather than a bad request.
            throw new ApiException(StatusCodes.Status400BadRequest, $"The request body could not be read: {e.Message}", null, "bad_request");
        }
        // The parser checks UTF-8 only where it reads values; a bad byte found later must not become a 500.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            throw ApiException.BadRequest("", "The body is not valid UTF-8.", "invalid_json");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("", $"The body is not valid JSON: {e.Message}", "invalid_json");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("", "The body must be a JSON object.", "invalid_json");
        UnpairedSurrogates.Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), document.RootElement);
        return new JsonFields(document.RootElement, "");
    }

    /// <summary>For tests and nested use: wraps an element that must be an object.</summary>
    public static JsonFields Of(JsonElement jsonObject, string path = "") =>
        jsonObject.ValueKind == JsonValueKind.Object
            ? new JsonFields(jsonObject, path)
            : throw ApiException.BadRequest(path, $"'{path}' must be an object.");

    /// <summary>The JSON path of a field of this object, as errors name it.</summary>
    public string PathOf(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    /// <summary>Present fields that no read asked for, in body order.</summary>
    public IReadOnlyList<string> UnreadFields =>
        _object.EnumerateObject().Select(p => p.Name).Where(n => !_read.Contains(n)).Distinct().ToList();

    public string? String(string name, bool required = false, int minLength = 0, int maxLength = int.MaxValue)
    {
        if (Get(name) is not { } value) return required ? throw Required(name) : null;
        if (value.ValueKind != JsonValueKind.String) throw WrongType(name, "a string", value);
        var text = value.GetString()!;
        if (text.Length < minLength)
            throw ApiException.BadRequest(PathOf(name), minLength == 1 ? $"'{PathOf(name)}' must not be empty." : $"'{PathOf(name)}' must have at least {minLength} characters.");
        if (text.Length > maxLength)
            throw ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' must have at most {maxLength} characters; it has {text.Length}.");
        return text;
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (compared ignoring case); returns the canonical spelling.</summary>
    public string? Choice(string name, IReadOnlyCollection<string> allowed, bool required = false)
    {
        if (String(name, required) is not { } text) return null;
        return allowed.FirstOrDefault(a => a.Equals(text, StringComparison.OrdinalIgnoreCase))
            ?? throw ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' must be one of {string.Join(", ", allowed)}; got '{text}'.");
    }

    public long? Integer(string name, long min, long max, bool required = false)
    {
        if (Get(name) is not { } value) return required ? throw Required(name) : null;
        if (value.ValueKind != JsonValueKind.Number) throw WrongType(name, "an integer", value);
        if (!value.TryGetInt64(out var number))
        {
            // 5.0 is an integer; 5.5 and numbers beyond 64 bits are not.
            if (value.TryGetDouble(out var d) && Math.Floor(d) == d && Math.Abs(d) < 9e15) number = (long)d;
            else throw ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' must be an integer from {min} to {max}; got {value.GetRawText()}.");
        }
        if (number < min || number > max)
            throw ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' must be from {min} to {max}; got {number}.");
        return number;
    }

    public double? Number(string name, double min, double max, bool required = false)
    {
        if (Get(name) is not { } value) return required ? throw Required(name) : null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
            throw WrongType(name, "a number", value);
        if (number < min || number > max)
            throw ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' must be from {Format(min)} to {Format(max)}; got {Format(number)}.");
        return number;
    }

    public bool? Boolean(string name, bool required = false)
    {
        if (Get(name) is not { } value) return required ? throw Required(name) : null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "true or false", value),
        };
    }

    public JsonFields? Object(string name, bool required = false)
    {
        if (Get(name) is not { } value) return required ? throw Required(name) : null;
        if (value.ValueKind != JsonValueKind.Object) throw WrongType(name, "an object", value);
        return new JsonFields(value, PathOf(name));
    }

    /// <summary>The raw value, for fields whose shape a dialect checks itself (arrays of objects, …).</summary>
    public JsonElement? Raw(string name) => Get(name);

    private JsonElement? Get(string name)
    {
        _read.Add(name);
        return _object.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    private ApiException Required(string name) =>
        ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' is required.", "missing_required_parameter");

    private ApiException WrongType(string name, string expected, JsonElement value) =>
        ApiException.BadRequest(PathOf(name), $"'{PathOf(name)}' must be {expected}; got {Describe(value)}.", "invalid_type");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static ApiException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {maxBytes / 1024} KiB.", null, "request_too_large");
}
