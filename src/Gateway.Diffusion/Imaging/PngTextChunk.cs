using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Gateway.Diffusion.Imaging;

/// <summary>
/// Puts a text entry into any PNG, as PIL's <c>PngInfo.add_text</c> does for A1111's <c>parameters</c>: a <c>tEXt</c>
/// chunk when the text is Latin-1 (the only encoding tEXt allows), else an uncompressed <c>iTXt</c> chunk in UTF-8.
/// The chunk goes right after IHDR, where readers that stop at the first IDAT still find it.
/// </summary>
public static class PngTextChunk
{
    private const int SignatureLength = 8;
    // Signature, then IHDR: length (4), type (4), 13 bytes of data, CRC (4).
    private const int AfterHeader = SignatureLength + 4 + 4 + 13 + 4;
    private static readonly Encoding Latin1 = Encoding.GetEncoding("ISO-8859-1", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A copy of <paramref name="png"/> with the entry inserted after IHDR.</summary>
    /// <exception cref="ArgumentException">Not a PNG that starts with IHDR, or a keyword PNG does not allow (1–79 printable Latin-1
    /// characters without leading, trailing or double spaces).</exception>
    public static byte[] Insert(ReadOnlySpan<byte> png, string keyword, string text)
    {
        if (png.Length < AfterHeader || !png[..SignatureLength].SequenceEqual(Signature)
            || BinaryPrimitives.ReadInt32BigEndian(png[SignatureLength..]) != 13 || !png.Slice(SignatureLength + 4, 4).SequenceEqual("IHDR"u8))
            throw new ArgumentException("The data is not a PNG that starts with its IHDR chunk.", nameof(png));
        if (!IsValidKeyword(keyword))
            throw new ArgumentException($"'{keyword}' is not a PNG text keyword (1-79 printable Latin-1 characters, single inner spaces).", nameof(keyword));

        var (type, data) = IsLatin1(text) ? ("tEXt"u8.ToArray(), TextData(keyword, text)) : ("iTXt"u8.ToArray(), InternationalData(keyword, text));
        var result = new byte[png.Length + 12 + data.Length];
        png[..AfterHeader].CopyTo(result);
        var at = AfterHeader;
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(at), data.Length);
        type.CopyTo(result, at + 4);
        data.CopyTo(result, at + 8);
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(at + 8 + data.Length), Crc32.HashToUInt32(result.AsSpan(at + 4, 4 + data.Length)));
        png[AfterHeader..].CopyTo(result.AsSpan(at + 12 + data.Length));
        return result;
    }

    /// <summary>tEXt: keyword, a zero byte, the text, all Latin-1.</summary>
    private static byte[] TextData(string keyword, string text) => [.. Latin1.GetBytes(keyword), 0, .. Latin1.GetBytes(text)];

    /// <summary>iTXt: keyword, zero, compression flag 0 and method 0, an empty language tag and translated keyword (each
    /// ended by zero), then the UTF-8 text.</summary>
    private static byte[] InternationalData(string keyword, string text) =>
        [.. Latin1.GetBytes(keyword), 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(text)];

    private static bool IsLatin1(string text) => text.All(c => c <= '\u00FF');

    private static bool IsValidKeyword(string keyword) =>
        keyword.Length is >= 1 and <= 79
        && keyword.All(c => c is >= ' ' and <= '~' or >= '\u00A1' and <= '\u00FF')
        && keyword[0] != ' ' && keyword[^1] != ' ' && !keyword.Contains("  ", StringComparison.Ordinal);
}
