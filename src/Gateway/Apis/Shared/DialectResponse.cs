using System.Globalization;
using System.Text;

namespace Gateway.Apis.Shared;

/// <summary>The response headers every dialect sets the same way.</summary>
public static class DialectResponse
{
    public const string SeedHeader = "X-Seed";
    public const string WarningsHeader = "X-Warnings";

    /// <summary><c>X-Seed</c>: the seed of the first image (image i of a batch uses seed + i).</summary>
    public static void SetSeed(HttpContext http, ulong seed) =>
        http.Response.Headers[SeedHeader] = seed.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>X-Warnings</c>: the engine's warnings (e.g. a prompt truncated at 75 tokens), one header value each.</summary>
    public static void SetWarnings(HttpContext http, IReadOnlyList<string> warnings)
    {
        if (warnings.Count == 0) return;
        // Header values are ASCII: anything else in a warning (a quoted prompt) is escaped.
        http.Response.Headers[WarningsHeader] = warnings.Select(AsciiOnly).ToArray();
    }

    private static string AsciiOnly(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~') builder.Append(c);
            else builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }
        return builder.ToString();
    }
}
