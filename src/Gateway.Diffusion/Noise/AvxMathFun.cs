namespace Gateway.Diffusion.Noise;

/// <summary>
/// Scalar replica of the <c>log256_ps</c> and <c>sincos256_ps</c> approximations (Cephes polynomials, from
/// <c>avx_mathfun.h</c>) that PyTorch's AVX2 <c>normal_fill_16</c> uses, so that noise matches bit for bit.
/// </summary>
/// <remarks>
/// PyTorch compiles its AVX2 kernels with FMA enabled, and GCC contracts the intrinsics' multiply-then-add pairs into
/// fused multiply-adds (when two products meet in one sum, it fuses the one computed first). Every
/// <see cref="MathF.FusedMultiplyAdd"/> below stands for such a contraction; plain operators stand for products
/// GCC leaves unfused. Constants are written as double literals cast to float, as the C source initialises them.
/// </remarks>
internal static class AvxMathFun
{
    private const float SqrtHalf = (float)0.707106781186547524;
    private const float LogP0 = (float)7.0376836292E-2;
    private const float LogP1 = (float)-1.1514610310E-1;
    private const float LogP2 = (float)1.1676998740E-1;
    private const float LogP3 = (float)-1.2420140846E-1;
    private const float LogP4 = (float)1.4249322787E-1;
    private const float LogP5 = (float)-1.6668057665E-1;
    private const float LogP6 = (float)2.0000714765E-1;
    private const float LogP7 = (float)-2.4999993993E-1;
    private const float LogP8 = (float)3.3333331174E-1;
    private const float LogQ1 = (float)-2.12194440e-4;
    private const float LogQ2 = (float)0.693359375;

    private const float FourOverPi = (float)1.27323954473516;
    private const float MinusDp1 = (float)-0.78515625;
    private const float MinusDp2 = (float)-2.4187564849853515625e-4;
    private const float MinusDp3 = (float)-3.77489497744594108e-8;
    private const float SinP0 = (float)-1.9515295891E-4;
    private const float SinP1 = (float)8.3321608736E-3;
    private const float SinP2 = (float)-1.6666654611E-1;
    private const float CosP0 = (float)2.443315711809948E-005;
    private const float CosP1 = (float)-1.388731625493765E-003;
    private const float CosP2 = (float)4.166664568298827E-002;

    /// <summary>Natural logarithm of a positive, normal <paramref name="x"/> (the only inputs Box–Muller gives it).</summary>
    public static float Log(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);

        // Split x = m · 2^e with m in [0.5, 1).
        float e = (bits >> 23) - 0x7F + 1;
        float m = BitConverter.Int32BitsToSingle((bits & ~0x7F800000) | BitConverter.SingleToInt32Bits(0.5f));
        if (m < SqrtHalf)
        {
            e -= 1f;
            m = (m - 1f) + m;
        }
        else
        {
            m -= 1f;
        }

        float z = m * m;
        float y = MathF.FusedMultiplyAdd(LogP0, m, LogP1);
        y = MathF.FusedMultiplyAdd(y, m, LogP2);
        y = MathF.FusedMultiplyAdd(y, m, LogP3);
        y = MathF.FusedMultiplyAdd(y, m, LogP4);
        y = MathF.FusedMultiplyAdd(y, m, LogP5);
        y = MathF.FusedMultiplyAdd(y, m, LogP6);
        y = MathF.FusedMultiplyAdd(y, m, LogP7);
        y = MathF.FusedMultiplyAdd(y, m, LogP8);
        y *= m;
        y = MathF.FusedMultiplyAdd(y, z, e * LogQ1);
        y = MathF.FusedMultiplyAdd(-z, 0.5f, y);
        return MathF.FusedMultiplyAdd(e, LogQ2, m + y);
    }

    /// <summary>Sine and cosine of a non-negative angle below 8192 (Box–Muller passes [0, 2π)).</summary>
    public static void SinCos(float x, out float sin, out float cos)
    {
        // Octant index rounded up to even, then Cody–Waite reduction of x into [-π/4, π/4].
        int octant = ((int)(x * FourOverPi) + 1) & ~1;
        float y = octant;
        x = MathF.FusedMultiplyAdd(y, MinusDp1, x);
        x = MathF.FusedMultiplyAdd(y, MinusDp2, x);
        x = MathF.FusedMultiplyAdd(y, MinusDp3, x);

        float z = x * x;
        float cosPoly = MathF.FusedMultiplyAdd(CosP0, z, CosP1);
        cosPoly = MathF.FusedMultiplyAdd(cosPoly, z, CosP2);
        cosPoly *= z;
        cosPoly = MathF.FusedMultiplyAdd(cosPoly, z, -(z * 0.5f));
        cosPoly += 1f;

        float sinPoly = MathF.FusedMultiplyAdd(SinP0, z, SinP1);
        sinPoly = MathF.FusedMultiplyAdd(sinPoly, z, SinP2);
        sinPoly *= z;
        sinPoly = MathF.FusedMultiplyAdd(sinPoly, x, x);

        bool sinUsesSinPoly = (octant & 2) == 0;
        sin = sinUsesSinPoly ? sinPoly : cosPoly;
        cos = sinUsesSinPoly ? cosPoly : sinPoly;
        if ((octant & 4) != 0)
        {
            sin = -sin;
        }

        if (((octant - 2) & 4) == 0)
        {
            cos = -cos;
        }
    }
}
