using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Diffusion.Imaging;
using Gateway.Errors;

namespace Gateway.Apis.Hyperbolic;

/// <summary>
/// Decodes an untrusted image sent as a JSON string of base64, optionally as a data URL, within fixed bounds: the text's
/// length is measured on the parsed body before anything is copied, the bytes are allocated once at their decoded size,
/// and the codec checks the dimensions before it allocates pixels.
/// </summary>
public static class Base64Image
{
    public const int MaxBase64Chars = 20 * 1024 * 1024;

    /// <exception cref="ApiException">400 naming <paramref name="param"/> for anything but a PNG, JPEG or WebP within the limits.</exception>
    public static PixelImage Decode(JsonElement value, string param)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest(param, $"'{param}' must be a string of base64 PNG, JPEG or WebP data, optionally a data URL.", "invalid_type");
        var length = TextLength(JsonMarshal.GetRawUtf8Value(value));
        if (length > MaxBase64Chars)
            throw ApiException.BadRequest(param,
                $"'{param}' is {length / 1048576.0:0.0} MiB of base64; the limit is {MaxBase64Chars / 1048576} MiB.", "image_too_large");

        var payload = Payload(value.GetString()!, param);
        if (payload.IsWhiteSpace()) throw ApiException.BadRequest(param, $"'{param}' must not be empty.");
        var bytes = new byte[(payload.Length + 3) / 4 * 3];
        if (!Convert.TryFromBase64Chars(payload, bytes, out var written))
            throw ApiException.BadRequest(param, $"'{param}' is not valid base64.", "invalid_base64");
        try
        {
            return ImageCodec.Decode(bytes.AsSpan(0, written), Shared.DialectImages.DecodeLimits);
        }
        catch (InvalidImageException e)
        {
            throw ApiException.BadRequest(param, e.Message, "invalid_image");
        }
    }

    /// <summary>The base64 part of a plain string or a <c>data:[type];base64,DATA</c> URL. The declared media type is not
    /// trusted either way: the decoder goes by the bytes.</summary>
    private static ReadOnlySpan<char> Payload(string text, string param)
    {
        if (!text.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return text;
        var comma = text.IndexOf(',');
        if (comma < 0 || !text.AsSpan(0, comma).EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest(param, $"'{param}' is a data URL but not a base64 one; send data:image/png;base64,… or plain base64.", "invalid_base64");
        return text.AsSpan(comma + 1);
    }

    /// <summary>Characters of a JSON string from its raw, quoted and possibly escaped UTF-8 (some encoders write '+' as
    /// \u002B), without unescaping it. Non-ASCII counts by bytes, an overcount only for text that is not base64 anyway.</summary>
    private static long TextLength(ReadOnlySpan<byte> raw)
    {
        long length = 0;
        for (var i = 1; i < raw.Length - 1; i++, length++)
            if (raw[i] == (byte)'\\')
                i += raw[i + 1] == (byte)'u' ? 5 : 1;
        return length;
    }
}
