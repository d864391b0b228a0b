using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Tests.Noise;

public sealed class AvxMathFunTests
{
    [Fact]
    public void The_vector_box_muller_equals_the_scalar_one_bit_for_bit()
    {
        // Without AVX2 and FMA only the scalar path runs, and the torch_randn goldens cover it.
        if (!AvxMathFun.VectorSupported) return;
        var random = new Random(11);
        var twoPi = (float)(2.0 * Math.PI);
        for (var trial = 0; trial < 20_000; trial++)
        {
            var block = new float[16];
            for (var i = 0; i < 16; i++) block[i] = (random.Next() & 0xFFFFFF) / (float)(1 << 24);
            var expected = new float[16];
            for (var j = 0; j < 8; j++)
            {
                var radius = MathF.Sqrt(-2f * AvxMathFun.Log(1f - block[j]));
                AvxMathFun.SinCos(twoPi * block[j + 8], out var sin, out var cos);
                expected[j] = radius * cos;
                expected[j + 8] = radius * sin;
            }
            AvxMathFun.BoxMuller8(block, twoPi);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), block.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
