using System.Security.Cryptography;
using System.Text;

namespace Gateway.Auth;

/// <summary>
/// The accepted Bearer keys (<c>Gateway:ApiKeys</c>), each plain or as <c>sha256:&lt;hex&gt;</c>. Only hashes are kept;
/// a presented key is hashed and compared with every entry in constant time. A key's id (the start of its hash) names
/// its owner in logs, jobs and the ledger; the key itself is never logged.
/// </summary>
public sealed class ApiKeyRegistry
{
    /// <summary>The client id used for every request when no keys are configured.</summary>
    public const string AnonymousClient = "anonymous";

    private readonly List<byte[]> _hashes = [];

    public ApiKeyRegistry(IEnumerable<string> configured)
    {
        foreach (var entry in configured.Where(e => !string.IsNullOrWhiteSpace(e)))
            _hashes.Add(HashOfEntry(entry.Trim()));
    }

    /// <summary>The client id that requests with the configured key <paramref name="entry"/> (plain or
    /// <c>sha256:&lt;hex&gt;</c>) get, for configuration that refers to keys (e.g. credit balances).</summary>
    public static string ClientIdOf(string entry) => IdOf(HashOfEntry(entry.Trim()));

    private static byte[] HashOfEntry(string entry)
    {
        if (!entry.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) return Hash(entry);
        var hex = entry["sha256:".Length..];
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
            throw new InvalidOperationException("A 'sha256:' API key entry must be followed by 64 hexadecimal digits.");
        return Convert.FromHexString(hex);
    }

    /// <summary>False when no keys are configured: every request is then accepted as <see cref="AnonymousClient"/>.</summary>
    public bool Enabled => _hashes.Count > 0;

    /// <summary>Checks <paramref name="presented"/> against every key without stopping early; returns the key's id.</summary>
    public bool TryAuthenticate(string presented, out string clientId)
    {
        var hash = Hash(presented);
        var match = false;
        foreach (var candidate in _hashes)
            match |= CryptographicOperations.FixedTimeEquals(hash, candidate);
        clientId = match ? IdOf(hash) : "";
        return match;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Enough of the hash to tell keys apart in storage and logs, useless for guessing the key.</summary>
    private static string IdOf(byte[] hash) => "key-" + Convert.ToHexStringLower(hash)[..16];
}
