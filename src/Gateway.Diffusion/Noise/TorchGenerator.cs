using System.Numerics;

namespace Gateway.Diffusion.Noise;

/// <summary>
/// Bit-exact port of PyTorch's CPU generator for <c>torch.manual_seed(seed); torch.randn(shape)</c> in float32,
/// so that a seed gives the same latents here as in diffusers (with a CPU generator) and ComfyUI.
/// Successive <see cref="NextGaussian"/> calls continue the stream like successive <c>randn</c> calls on one generator.
/// Not thread-safe; one instance belongs to one request.
/// </summary>
/// <remarks>
/// PyTorch (x86-64 build, checked against 1.13 fixtures) takes two paths in <c>normal_kernel</c>:
/// contiguous float tensors of 16 or more elements use <c>normal_fill_AVX2</c> (24-bit uniforms, then Box–Muller per
/// block of 16 in float with the Cephes-style <c>avx_mathfun</c> log and sincos, see <see cref="AvxMathFun"/>);
/// smaller tensors draw each element from <c>at::normal_distribution&lt;double&gt;</c>, which caches the second
/// Box–Muller value in the generator.
/// </remarks>
public sealed class TorchGenerator : INoiseSource
{
    private const int BlockSize = 16;
    private const int HalfBlock = BlockSize / 2;
    private const float Float24BitScale = 1.0f / (1 << 24);
    private const double Double53BitScale = 1.0 / (1UL << 53);
    private const ulong Mask53Bits = (1UL << 53) - 1;

    // PyTorch builds this constant as _mm256_set1_ps(2.0f * c10::pi<double>): the product rounded once to float.
    private const float TwoPi = (float)(2.0 * Math.PI);

    private readonly Mt19937 _engine;
    private uint[] _bits = [];

    // CPUGeneratorImpl::next_double_normal_sample_: the sine half of the last double Box–Muller pair.
    private double? _cachedNormal;

    /// <summary>Creates a generator in the state <c>torch.manual_seed(seed)</c> leaves the CPU generator in.</summary>
    public TorchGenerator(ulong seed)
    {
        _engine = new Mt19937(seed);
    }

    /// <inheritdoc />
    public void NextGaussian(Span<float> destination)
    {
        if (destination.Length < BlockSize)
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)NextDoubleNormal();
            }

            return;
        }

        FillUniform(destination);
        int blocks = destination.Length / BlockSize;
        for (int b = 0; b < blocks; b++)
        {
            NormalFill16(destination.Slice(b * BlockSize, BlockSize));
        }

        if (destination.Length % BlockSize != 0)
        {
            // PyTorch redraws the last 16 values (overlapping the last full block) rather than handling a short block.
            Span<float> tail = destination[^BlockSize..];
            FillUniform(tail);
            NormalFill16(tail);
        }
    }

    private void FillUniform(Span<float> destination)
    {
        // at::uniform_real_distribution<float>(0, 1): the low 24 bits of one 32-bit draw, scaled to [0, 1).
        // Drawn in bulk into a buffer kept for the next call (ancestral samplers draw the same size every step).
        if (_bits.Length < destination.Length) _bits = new uint[destination.Length];
        var bits = _bits.AsSpan(0, destination.Length);
        _engine.Fill(bits);
        int i = 0;
        for (; i <= destination.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            // Below 2^24 the conversion is exact and the scale a power of two: the same floats as the scalar loop.
            var low24 = Vector.AsVectorInt32(new Vector<uint>(bits[i..]) & new Vector<uint>(0xFFFFFF));
            (Vector.ConvertToSingle(low24) * Float24BitScale).CopyTo(destination[i..]);
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = (bits[i] & 0xFFFFFF) * Float24BitScale;
        }
    }

    private static void NormalFill16(Span<float> block)
    {
        if (AvxMathFun.VectorSupported)
        {
            AvxMathFun.BoxMuller8(block, TwoPi);
            return;
        }

        for (int j = 0; j < HalfBlock; j++)
        {
            float u1 = 1f - block[j]; // [0, 1) -> (0, 1] so that log stays finite.
            float u2 = block[j + HalfBlock];
            float radius = MathF.Sqrt(-2f * AvxMathFun.Log(u1));
            AvxMathFun.SinCos(TwoPi * u2, out float sin, out float cos);
            block[j] = radius * cos;
            block[j + HalfBlock] = radius * sin;
        }
    }

    private double NextDoubleNormal()
    {
        if (_cachedNormal is double cached)
        {
            _cachedNormal = null;
            return cached;
        }

        double u1 = NextDoubleUniform();
        double u2 = NextDoubleUniform();

        // PyTorch 1.13 computes log(1 - u2); later releases use log1p(-u2), which can differ in the last bit of a double.
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        _cachedNormal = radius * Math.Sin(theta);
        return radius * Math.Cos(theta);
    }

    private double NextDoubleUniform()
    {
        // at::uniform_real_distribution<double>(0, 1): random64() puts the first 32-bit draw in the high half;
        // its low 53 bits are scaled to [0, 1).
        ulong high = _engine.NextUInt32();
        ulong low = _engine.NextUInt32();
        return (((high << 32) | low) & Mask53Bits) * Double53BitScale;
    }
}
