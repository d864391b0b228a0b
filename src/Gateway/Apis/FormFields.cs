using System.Globalization;
using Gateway.Errors;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Apis;

/// <summary>
/// <see cref="JsonFields"/> for <c>multipart/form-data</c> bodies (OpenAI's image edits and variations): typed reads of
/// text fields and files, each failing with a 400 naming the field; fields never read are reported by
/// <see cref="UnreadFields"/>. Every value is text, as the OpenAI SDKs send numbers and booleans.
/// </summary>
public sealed class FormFields
{
    private readonly IFormCollection _form;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private FormFields(IFormCollection form) => _form = form;

    /// <summary>Reads a multipart body of at most <paramref name="maxBytes"/>: 415 for another media type, 413 when larger,
    /// 400 when the multipart framing is broken.</summary>
    public static async Task<FormFields> ReadBodyAsync(HttpRequest request, long maxBytes, int maxTextBytes, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                "The body must be multipart/form-data (the image as a file part, the other fields as text parts).", null, "unsupported_media_type");
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            MultipartBodyLengthLimit = maxBytes,
            ValueLengthLimit = maxTextBytes,
            ValueCountLimit = 64,
            KeyLengthLimit = 256,
        }));
        try
        {
            return new FormFields(await request.ReadFormAsync(cancellationToken));
        }
        catch (InvalidDataException e) when (e.Message.Contains("Multipart body length limit", StringComparison.Ordinal))
        {
            throw TooLarge(maxBytes);
        }
        // Kestrel's own refusals (a body past Gateway:MaxRequestBytes: 413) are IOExceptions too; the error middleware answers them.
        catch (Exception e) when (e is InvalidDataException or IOException && e is not (BadHttpRequestException or
                                  Microsoft.AspNetCore.Connections.ConnectionResetException) && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"The multipart/form-data body could not be read: {e.Message}", null, "invalid_multipart");
        }
    }

    /// <summary>Present fields (text or file) that no read asked for, in body order.</summary>
    public IReadOnlyList<string> UnreadFields =>
        _form.Keys.Concat(_form.Files.Select(f => f.Name)).Where(n => !_read.Contains(n)).Distinct().ToList();

    /// <summary>The files sent under any of <paramref name="names"/> (e.g. <c>image</c> and <c>image[]</c>), in body order.</summary>
    public IReadOnlyList<IFormFile> Files(params string[] names)
    {
        foreach (var name in names) _read.Add(name);
        var files = _form.Files.Where(f => names.Contains(f.Name, StringComparer.Ordinal)).ToList();
        if (files.Count == 0 && names.FirstOrDefault(n => _form.ContainsKey(n)) is { } asText)
            throw ApiException.BadRequest(asText, $"'{asText}' must be a file part (Content-Disposition with a filename), not a text field.", "invalid_type");
        return files;
    }

    public string? String(string name, bool required = false, int maxLength = int.MaxValue)
    {
        if (Get(name) is not { } text) return required ? throw Required(name) : null;
        if (text.Length > maxLength)
            throw ApiException.BadRequest(name, $"'{name}' must have at most {maxLength} characters; it has {text.Length}.");
        return text;
    }

    /// <summary>A value that must be one of <paramref name="allowed"/> (compared ignoring case); returns the canonical spelling.</summary>
    public string? Choice(string name, IReadOnlyCollection<string> allowed)
    {
        if (Get(name) is not { } text) return null;
        return allowed.FirstOrDefault(a => a.Equals(text, StringComparison.OrdinalIgnoreCase))
            ?? throw ApiException.BadRequest(name, $"'{name}' must be one of {string.Join(", ", allowed)}; got '{text}'.");
    }

    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } text) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            throw ApiException.BadRequest(name, $"'{name}' must be an integer from {min} to {max}; got '{text}'.", "invalid_type");
        if (number < min || number > max)
            throw ApiException.BadRequest(name, $"'{name}' must be from {min} to {max}; got {number}.");
        return number;
    }

    public double? Number(string name, double min, double max)
    {
        if (Get(name) is not { } text) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
            throw ApiException.BadRequest(name, $"'{name}' must be a number from {Format(min)} to {Format(max)}; got '{text}'.", "invalid_type");
        if (number < min || number > max)
            throw ApiException.BadRequest(name, $"'{name}' must be from {Format(min)} to {Format(max)}; got {Format(number)}.");
        return number;
    }

    public bool? Boolean(string name)
    {
        if (Get(name) is not { } text) return null;
        return text.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw ApiException.BadRequest(name, $"'{name}' must be true or false; got '{text}'.", "invalid_type"),
        };
    }

    /// <summary>The field's one value; null when absent or empty (how form encoders send an unset value). A field sent twice is refused.</summary>
    private string? Get(string name)
    {
        _read.Add(name);
        if (!_form.TryGetValue(name, out var values) || values.Count == 0) return null;
        if (values.Count > 1) throw ApiException.BadRequest(name, $"'{name}' is sent {values.Count} times; send it once.");
        return string.IsNullOrEmpty(values[0]) ? null : values[0];
    }

    private static ApiException Required(string name) =>
        ApiException.BadRequest(name, $"'{name}' is required.", "missing_required_parameter");

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static ApiException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {maxBytes / 1024} KiB.", null, "request_too_large");
}
