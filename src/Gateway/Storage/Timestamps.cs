using System.Globalization;

namespace Gateway.Storage;

/// <summary>
/// Instants as the database stores them and the APIs show them: UTC ISO 8601 with seven fractional digits. One fixed
/// width means text order is time order, so SQL can compare and sort them as strings.
/// </summary>
public static class Timestamps
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string ToText(DateTimeOffset instant) => instant.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
