using Gateway.Auth;

namespace Gateway.Credits;

/// <summary>The configured grants, by the client id that authentication gives each key.</summary>
public sealed class CreditAccounts
{
    private readonly Dictionary<string, double> _granted = new(StringComparer.Ordinal);

    public CreditAccounts(IEnumerable<CreditGrant> grants)
    {
        foreach (var grant in grants)
        {
            var id = ClientIdOf(grant.Key.Trim());
            if (!double.IsFinite(grant.Credits) || grant.Credits < 0)
                throw new InvalidOperationException($"{CreditOptions.Section}:Balances: the grant for {id} must be a number ≥ 0.");
            if (!_granted.TryAdd(id, grant.Credits))
                throw new InvalidOperationException($"{CreditOptions.Section}:Balances lists {id} twice.");
        }
    }

    /// <summary>The key's grant, or null when it is unlimited.</summary>
    public double? GrantOf(string clientId) => _granted.TryGetValue(clientId, out var credits) ? credits : null;

    /// <summary>A grant's key as configured: the anonymous client, a client id (<c>key-</c> and 16 hex digits, as
    /// <c>GET /credits</c> shows it), or a key in any form <see cref="ApiKeyRegistry"/> accepts.</summary>
    private static string ClientIdOf(string key)
    {
        if (key == ApiKeyRegistry.AnonymousClient) return key;
        if (key.StartsWith("key-", StringComparison.Ordinal) && key.Length == 20 && key[4..].All(char.IsAsciiHexDigit))
            return key.ToLowerInvariant();
        if (key.Length == 0) throw new InvalidOperationException($"{CreditOptions.Section}:Balances has an entry without a Key.");
        try
        {
            return ApiKeyRegistry.ClientIdOf(key);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{CreditOptions.Section}:Balances: {e.Message}", e);
        }
    }
}
