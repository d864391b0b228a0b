using Gateway.Diffusion.Pipelines;
using Gateway.Errors;

namespace Gateway.Apis.Shared;

/// <summary>
/// Seeds of the dialects that take a batch size: image i of a batch uses seed + i, and every seed the server reports
/// must be one the client can send back, so seed + n − 1 stays within 0..4,294,967,295 (refused with 400 otherwise).
/// </summary>
public static class DialectSeeds
{
    public const long MaxSeed = uint.MaxValue;

    /// <summary>The chosen seed, checked against the batch, or a random one that leaves room for the batch.</summary>
    public static ulong ForBatch(long? chosen, int count, string seedField, string countField)
    {
        if (chosen is not { } seed)
        {
            ulong drawn;
            do drawn = Seeds.Random(); while (drawn + (ulong)count - 1 > MaxSeed);
            return drawn;
        }
        if (seed + count - 1 > MaxSeed)
            throw ApiException.BadRequest(seedField,
                $"'{seedField}' + '{countField}' − 1 must be at most {MaxSeed}: image i of a batch uses seed + i; got seed {seed} with {count} images.");
        return (ulong)seed;
    }
}
