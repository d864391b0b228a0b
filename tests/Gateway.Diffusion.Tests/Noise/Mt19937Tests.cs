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

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(623)]
    [InlineData(624)]
    [InlineData(625)]
    [InlineData(5000)]
    public void Fill_gives_the_same_stream_as_single_draws(int length)
    {
        var single = new Mt19937(42);
        var bulk = new Mt19937(42);
        // Start mid-way through a twist, so both the vector and the scalar tail and a new twist are crossed.
        for (var i = 0; i < 100; i++) Assert.Equal(single.NextUInt32(), bulk.NextUInt32());
        var filled = new uint[length];
        bulk.Fill(filled);
        Assert.Equal(Enumerable.Range(0, length).Select(_ => single.NextUInt32()), filled);
        Assert.Equal(single.NextUInt32(), bulk.NextUInt32());
    }
}
