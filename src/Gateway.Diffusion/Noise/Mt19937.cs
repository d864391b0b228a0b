using System.Numerics;

namespace Gateway.Diffusion.Noise;

/// <summary>
/// The 32-bit Mersenne Twister exactly as PyTorch's <c>at::mt19937</c> (the engine behind the CPU generator):
/// the standard MT19937 output stream, seeded with the low 32 bits of the 64-bit seed.
/// Not thread-safe; one instance belongs to one request.
/// </summary>
public sealed class Mt19937
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908B0DF;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7FFFFFFF;

    private readonly uint[] _state = new uint[N];
    private int _next = N;

    /// <summary>Seeds the engine as <c>torch.manual_seed(seed)</c> does.</summary>
    public Mt19937(ulong seed)
    {
        // at::mt19937 keeps the 64-bit seed for reporting but initialises its state from `seed & 0xffffffff` only.
        _state[0] = (uint)seed;
        for (uint i = 1; i < N; i++)
        {
            uint previous = _state[i - 1];
            _state[i] = 1812433253u * (previous ^ (previous >> 30)) + i;
        }
    }

    /// <summary>The next 32 random bits (PyTorch's <c>CPUGeneratorImpl::random()</c>).</summary>
    public uint NextUInt32()
    {
        if (_next == N)
        {
            Twist();
        }

        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary>The next <c>destination.Length</c> outputs, the same as that many <see cref="NextUInt32"/> calls,
    /// tempered a vector at a time.</summary>
    public void Fill(Span<uint> destination)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            if (_next == N)
            {
                Twist();
            }

            var count = Math.Min(N - _next, destination.Length - filled);
            Temper(_state.AsSpan(_next, count), destination.Slice(filled, count));
            _next += count;
            filled += count;
        }
    }

    private static void Temper(ReadOnlySpan<uint> state, Span<uint> output)
    {
        var i = 0;
        for (; i <= state.Length - Vector<uint>.Count; i += Vector<uint>.Count)
        {
            var y = new Vector<uint>(state[i..]);
            y ^= y >>> 11;
            y ^= (y << 7) & new Vector<uint>(0x9D2C5680);
            y ^= (y << 15) & new Vector<uint>(0xEFC60000);
            y ^= y >>> 18;
            y.CopyTo(output[i..]);
        }

        for (; i < state.Length; i++)
        {
            var y = state[i];
            y ^= y >> 11;
            y ^= (y << 7) & 0x9D2C5680;
            y ^= (y << 15) & 0xEFC60000;
            y ^= y >> 18;
            output[i] = y;
        }
    }

    /// <summary>
    /// Regenerates the state. Element i mixes s[i], s[i + 1] and s[(i + M) mod N]; the first N − M elements read only
    /// old values and the rest read elements at least N − M = 227 back, already new, so both ranges go a vector at a
    /// time (up to 227 lanes would be safe) and give exactly the scalar recurrence.
    /// </summary>
    private void Twist()
    {
        var s = _state.AsSpan();
        TwistRange(s, 0, N - M, M);
        TwistRange(s, N - M, N - 1, M - N);
        s[N - 1] = s[M - 1] ^ Mix(s[N - 1], s[0]);
        _next = 0;
    }

    private static void TwistRange(Span<uint> s, int from, int to, int offset)
    {
        var i = from;
        for (; i <= to - Vector<uint>.Count; i += Vector<uint>.Count)
        {
            var upper = new Vector<uint>(s[i..]);
            var lower = new Vector<uint>(s[(i + 1)..]);
            var y = (upper & new Vector<uint>(UpperMask)) | (lower & new Vector<uint>(LowerMask));
            // Branch-free "odd ? MatrixA : 0": the low bit, negated, is all ones or all zeros.
            var odd = Vector<uint>.Zero - (lower & Vector<uint>.One);
            (new Vector<uint>(s[(i + offset)..]) ^ (y >>> 1) ^ (odd & new Vector<uint>(MatrixA))).CopyTo(s[i..]);
        }

        for (; i < to; i++)
        {
            s[i] = s[i + offset] ^ Mix(s[i], s[i + 1]);
        }
    }

    private static uint Mix(uint upper, uint lower)
    {
        uint y = (upper & UpperMask) | (lower & LowerMask);
        return (y >> 1) ^ ((0u - (lower & 1)) & MatrixA);
    }
}
