using System.Text.Json.Serialization;

namespace Gateway.Credits;

/// <summary>What <c>GET /credits</c> shows a key: <see cref="Balance"/> = granted − spent − reserved, null when unlimited.</summary>
public sealed record CreditStatement(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("unlimited")] bool Unlimited,
    [property: JsonPropertyName("granted")] double? Granted,
    [property: JsonPropertyName("spent")] double Spent,
    [property: JsonPropertyName("reserved")] double Reserved,
    [property: JsonPropertyName("balance")] double? Balance,
    [property: JsonPropertyName("recent")] IReadOnlyList<LedgerEntry> Recent);
