using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Tests.Noise;

public sealed class Mt19937Tests
{
    [Fact]
    public void MatchesTheStandardTenThousandthOutput()
    {
        // The C++ standard requires the 10000th output of a default-seeded (5489) std::mt19937 to be 4123659995.
        var engine = new Mt19937(5489);
        uint value = 0;
        for (int i = 0; i < 10000; i++)
        {
            value = engine.NextUInt32();
        }

        Assert.Equal(4123659995u, value);
    }

    [Fact]
    public void UsesOnlyTheLow32BitsOfTheSeed()
    {
        var wide = new Mt19937(0xABCD_0000_0000_0005);
        var narrow = new Mt19937(5);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(narrow.NextUInt32(), wide.NextUInt32());
        }
    }
}
