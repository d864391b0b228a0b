using System.Security.Cryptography;

namespace Gateway.Diffusion.Pipelines;

public static class Seeds
{
    /// <summary>A random seed in 1..4294967295: the range every API dialect accepts (0 means "random" in some),
    /// so a seed that the server chose can be sent back by any client.</summary>
    public static ulong Random()
    {
        Span<byte> bytes = stackalloc byte[4];
        uint value;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            value = BitConverter.ToUInt32(bytes);
        } while (value == 0);
        return value;
    }
}
