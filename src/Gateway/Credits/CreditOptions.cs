namespace Gateway.Credits;

/// <summary>The <c>Gateway:Credits</c> configuration section. Keys without a balance here are unlimited.</summary>
public sealed class CreditOptions
{
    public const string Section = "Gateway:Credits";

    /// <summary>Credits granted per key. A key's balance is its grant minus everything the ledger has charged it.</summary>
    public List<CreditGrant> Balances { get; set; } = [];

    /// <summary>Ledger rows <c>GET /credits</c> lists, newest first.</summary>
    public int RecentUsage { get; set; } = 20;
}

/// <summary>One grant: <see cref="Key"/> is the API key as configured in <c>Gateway:ApiKeys</c> (plain or
/// <c>sha256:&lt;hex&gt;</c>), or its id (<c>key-</c> and 16 hex digits, as <c>GET /credits</c> shows it).</summary>
public sealed class CreditGrant
{
    public string Key { get; set; } = "";
    public double Credits { get; set; }
}
