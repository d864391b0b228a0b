using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Gateway.Diffusion.Models;

/// <summary>A width × height in pixels, written <c>WxH</c> in configuration and on the command line.</summary>
public readonly record struct ImageSize(int Width, int Height)
{
    public long Pixels => (long)Width * Height;

    public static bool TryParse([NotNullWhen(true)] string? text, out ImageSize size)
    {
        size = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('x', 'X');
        if (parts.Length != 2) return false;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || w <= 0 || h <= 0)
            return false;
        size = new ImageSize(w, h);
        return true;
    }

    public static ImageSize Parse(string text) =>
        TryParse(text, out var size) ? size : throw new FormatException($"'{text}' is not a size of the form WIDTHxHEIGHT, e.g. 512x512.");

    public override string ToString() => $"{Width}x{Height}";
}
