using Gateway.Diffusion.Text;

namespace Gateway.Diffusion.Tests.Text;

public sealed class UnicodeNfcTests
{
    // Expected forms are Python's unicodedata.normalize("NFC", ...).
    [Theory]
    [InlineData("plain ascii, 123", "plain ascii, 123")]
    [InlineData("e\u0301", "\u00E9")] // composition
    [InlineData("e\u0301\u0323", "\u1EB9\u0301")] // marks reordered by class, then the lower class composes first
    [InlineData("a\u0301\u0316", "\u00E1\u0316")] // a mark of lower class does not block composition
    [InlineData("A\u030A\u0301", "\u01FA")] // composition repeats on the growing composite
    [InlineData("q\u0307\u0323", "q\u0323\u0307")] // no composite: reordering only
    [InlineData("\u0301e", "\u0301e")] // a leading mark has no starter to join
    [InlineData("\u1100\u1161\u11A8", "\uAC01")] // Hangul jamo to a syllable
    [InlineData("\uAC00\u11A8", "\uAC01")] // Hangul LV syllable plus trailing consonant
    [InlineData("\u212B", "\u00C5")] // singleton decomposition (Angstrom sign)
    [InlineData("\u0958", "\u0915\u093C")] // composition exclusion stays decomposed
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")] // excluded composite outside the BMP
    public void NormalizesToFormC(string input, string expected)
    {
        Assert.Equal(expected, UnicodeNfc.Normalize(input));
    }
}
