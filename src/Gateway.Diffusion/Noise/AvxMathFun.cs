using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Whether <see cref="BoxMuller8"/> can run: the same instructions PyTorch's kernel uses.</summary>
    public static bool VectorSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Box–Muller on eight pairs at once, <c>normal_fill_16_AVX2</c> itself: the same operations as <see cref="Log"/>
    /// and <see cref="SinCos"/> in the same order, on 256-bit vectors, so the results are identical bit for bit.
    /// </summary>
    public static void BoxMuller8(Span<float> block, float twoPi)
    {
        var u1 = Vector256.Create(1f) - Vector256.Create<float>(block);
        var u2 = Vector256.Create<float>(block[8..]);
        var radius = Avx.Sqrt(Vector256.Create(-2f) * Log8(u1));
        SinCos8(Vector256.Create(twoPi) * u2, out var sin, out var cos);
        (radius * cos).CopyTo(block);
        (radius * sin).CopyTo(block[8..]);
    }

    private static Vector256<float> Log8(Vector256<float> x)
    {
        var one = Vector256.Create(1f);
        var bits = x.AsInt32();
        var e = Avx.ConvertToVector256Single(Avx2.ShiftRightArithmetic(bits, 23) - Vector256.Create(0x7F - 1));
        var m = ((bits & Vector256.Create(~0x7F800000)) | Vector256.Create(0.5f).AsInt32()).AsSingle();
        var below = Avx.CompareLessThan(m, Vector256.Create(SqrtHalf));
        e -= one & below;
        m = (m - one) + (m & below);

        var z = m * m;
        var y = Fma.MultiplyAdd(Vector256.Create(LogP0), m, Vector256.Create(LogP1));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP2));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP3));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP4));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP5));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP6));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP7));
        y = Fma.MultiplyAdd(y, m, Vector256.Create(LogP8));
        y *= m;
        y = Fma.MultiplyAdd(y, z, e * Vector256.Create(LogQ1));
        y = Fma.MultiplyAdd(-z, Vector256.Create(0.5f), y);
        return Fma.MultiplyAdd(e, Vector256.Create(LogQ2), m + y);
    }

    private static void SinCos8(Vector256<float> x, out Vector256<float> sin, out Vector256<float> cos)
    {
        var octant = (Avx.ConvertToVector256Int32WithTruncation(x * Vector256.Create(FourOverPi)) + Vector256.Create(1)) & Vector256.Create(~1);
        var y = Avx.ConvertToVector256Single(octant);
        x = Fma.MultiplyAdd(y, Vector256.Create(MinusDp1), x);
        x = Fma.MultiplyAdd(y, Vector256.Create(MinusDp2), x);
        x = Fma.MultiplyAdd(y, Vector256.Create(MinusDp3), x);

        var z = x * x;
        var cosPoly = Fma.MultiplyAdd(Vector256.Create(CosP0), z, Vector256.Create(CosP1));
        cosPoly = Fma.MultiplyAdd(cosPoly, z, Vector256.Create(CosP2));
        cosPoly *= z;
        cosPoly = Fma.MultiplyAdd(cosPoly, z, -(z * Vector256.Create(0.5f)));
        cosPoly += Vector256.Create(1f);

        var sinPoly = Fma.MultiplyAdd(Vector256.Create(SinP0), z, Vector256.Create(SinP1));
        sinPoly = Fma.MultiplyAdd(sinPoly, z, Vector256.Create(SinP2));
        sinPoly *= z;
        sinPoly = Fma.MultiplyAdd(sinPoly, x, x);

        var useSinPoly = Vector256.Equals(octant & Vector256.Create(2), Vector256<int>.Zero).AsSingle();
        sin = Vector256.ConditionalSelect(useSinPoly, sinPoly, cosPoly);
        cos = Vector256.ConditionalSelect(useSinPoly, cosPoly, sinPoly);
        var sinKeepsSign = Vector256.Equals(octant & Vector256.Create(4), Vector256<int>.Zero).AsSingle();
        sin = Vector256.ConditionalSelect(sinKeepsSign, sin, -sin);
        var cosFlips = Vector256.Equals((octant - Vector256.Create(2)) & Vector256.Create(4), Vector256<int>.Zero).AsSingle();
        cos = Vector256.ConditionalSelect(cosFlips, -cos, cos);
    }
}
