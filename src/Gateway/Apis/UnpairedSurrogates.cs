using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Apis;

/// <summary>
/// Finds a string or field name that a <c>\uD800</c>-style escape makes invalid Unicode (a lone UTF-16 surrogate), which
/// System.Text.Json parses but cannot turn into a string. Raw surrogate bytes are invalid UTF-8 and refused before this;
/// only escapes remain, so bodies without a <c>\uD8..</c>–<c>\uDF..</c> escape skip the walk.
/// </summary>
internal static class UnpairedSurrogates
{
    /// <summary>Throws 400 <c>invalid_value</c> naming the first field whose text holds an unpaired surrogate.</summary>
    public static void Check(ReadOnlySpan<byte> json, JsonElement root)
    {
        if (!HasSurrogateEscape(json)) return;
        Walk(root, "");
    }

    private static bool HasSurrogateEscape(ReadOnlySpan<byte> json)
    {
        for (var at = json.IndexOf("\\u"u8); at >= 0; at = json.IndexOf("\\u"u8))
        {
            if (json.Length > at + 3 && json[at + 2] is (byte)'d' or (byte)'D' && json[at + 3] is >= (byte)'8' and <= (byte)'9'
                    or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
                return true;
            json = json[(at + 2)..];
        }
        return false;
    }

    private static void Walk(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                if (!IsText(element.GetString)) throw Invalid(path, $"'{path}' must be valid Unicode text: it holds an unpaired UTF-16 surrogate escape.");
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var text = property;
                    if (!IsText(() => text.Name))
                        throw Invalid(path, path.Length == 0
                            ? "A field name of the body holds an unpaired UTF-16 surrogate escape; names must be valid Unicode."
                            : $"A field name in '{path}' holds an unpaired UTF-16 surrogate escape; names must be valid Unicode.");
                    Walk(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{index++}]");
                break;
        }
    }

    private static bool IsText(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static ApiException Invalid(string path, string message) => ApiException.BadRequest(path, message);
}
