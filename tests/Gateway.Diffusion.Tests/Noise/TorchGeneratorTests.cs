using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Tests.Noise;

public sealed class TorchGeneratorTests
{
    public static TheoryData<TorchRandnCase> Cases()
    {
        var data = new TheoryData<TorchRandnCase>();
        foreach (TorchRandnCase c in TorchRandnCase.Load())
        {
            data.Add(c);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchRandnBitForBit(TorchRandnCase expected)
    {
        var generator = new TorchGenerator(expected.Seed);
        var values = new float[expected.Count];
        generator.NextGaussian(values);
        if (expected.IsSecondDraw)
        {
            generator.NextGaussian(values);
        }

        Assert.NotEmpty(expected.Slices);
        foreach ((int offset, float[] slice) in expected.Slices)
        {
            for (int i = 0; i < slice.Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(slice[i]) == BitConverter.SingleToInt32Bits(values[offset + i]),
                    $"element {offset + i}: expected {slice[i]:R}, got {values[offset + i]:R}");
            }
        }

        // Sums cover the elements the fixture does not list; with exact elements only summation order can differ.
        if (expected.Sum is double sum)
        {
            Assert.Equal(sum, values.Sum(v => (double)v), 1e-9 * Math.Max(1, Math.Abs(sum)));
        }

        if (expected.SumAbs is double sumAbs)
        {
            Assert.Equal(sumAbs, values.Sum(v => Math.Abs((double)v)), 1e-9 * sumAbs);
        }
    }

    [Fact]
    public void SmallDrawsShareTheCachedSecondNormal()
    {
        // torch.randn(4) yields two Box–Muller pairs; randn(3) then randn(1) must give the same four values,
        // because the fourth comes from the normal cached in the generator.
        var whole = new float[4];
        new TorchGenerator(0).NextGaussian(whole);

        var split = new TorchGenerator(0);
        var first = new float[3];
        var second = new float[1];
        split.NextGaussian(first);
        split.NextGaussian(second);

        float[] joined = [.. first, .. second];
        Assert.Equal(whole, joined);
    }

    [Fact]
    public void EmptyDrawConsumesNothing()
    {
        var expected = new float[16];
        new TorchGenerator(7).NextGaussian(expected);

        var generator = new TorchGenerator(7);
        generator.NextGaussian(Span<float>.Empty);
        var actual = new float[16];
        generator.NextGaussian(actual);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void RepeatedDrawsDoNotAllocate()
    {
        var generator = new TorchGenerator(42);
        var values = new float[4 * 64 * 64 + 5];
        generator.NextGaussian(values);

        long before = GC.GetAllocatedBytesForCurrentThread();
        generator.NextGaussian(values);
        generator.NextGaussian(values.AsSpan(0, 9));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
