using Gateway.Errors;
using Gateway.Storage;

namespace Gateway.Credits;

/// <summary>
/// Charges finished jobs in the database's ledger and guards balances. A job reserves its cost before any work, so
/// concurrent jobs of one key cannot together spend more than its balance; the reservation becomes a charge when the
/// job succeeds and is released otherwise.
/// </summary>
public sealed class CreditLedger(GatewayDatabase database, CreditAccounts accounts, CreditOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, double> _reserved = new(StringComparer.Ordinal);

    /// <summary>Reserves <paramref name="cost"/> for <paramref name="clientId"/>, or throws 402 <c>insufficient_credits</c>.</summary>
    public CreditReservation Reserve(string clientId, double cost)
    {
        var granted = accounts.GrantOf(clientId);
        lock (_lock)
        {
            var reserved = _reserved.GetValueOrDefault(clientId);
            if (granted is { } grant)
            {
                var available = grant - Spent(clientId) - reserved;
                // A millionth of slack: costs are rounded to six decimals, sums of doubles are not.
                if (cost > available + 1e-9)
                    throw new ApiException(StatusCodes.Status402PaymentRequired,
                        $"Insufficient credits: this job costs {Show(cost)} credits and the key has {Show(Math.Max(0, available))} left.",
                        null, "insufficient_credits");
            }
            _reserved[clientId] = reserved + cost;
        }
        return new CreditReservation(() => Release(clientId, cost));
    }

    /// <summary>Whether <paramref name="clientId"/> has a balance to guard (keys not listed are unlimited).</summary>
    public bool IsMetered(string clientId) => accounts.GrantOf(clientId) is not null;

    /// <summary>Records a charge inside <paramref name="write"/>, the same transaction that marks the job done.</summary>
    public static void Charge(SqliteSession write, LedgerEntry entry) =>
        write.Execute("""
            INSERT INTO ledger (owner, job_id, model, width, height, steps, credits, charged_at)
            VALUES ($owner, $job, $model, $width, $height, $steps, $credits, $at)
            """,
            ("$owner", entry.Owner), ("$job", entry.JobId), ("$model", entry.Model), ("$width", entry.Width),
            ("$height", entry.Height), ("$steps", entry.Steps), ("$credits", entry.Credits), ("$at", entry.ChargedAt));

    public CreditStatement Statement(string clientId)
    {
        var granted = accounts.GrantOf(clientId);
        double reserved;
        lock (_lock) reserved = _reserved.GetValueOrDefault(clientId);
        var spent = Spent(clientId);
        using var read = database.Read();
        var recent = read.Query("""
            SELECT owner, job_id, model, width, height, steps, credits, charged_at FROM ledger
            WHERE owner = $owner ORDER BY id DESC LIMIT $limit
            """,
            r => new LedgerEntry(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5),
                r.GetDouble(6), r.GetString(7)),
            ("$owner", clientId), ("$limit", Math.Max(0, options.RecentUsage)));
        return new CreditStatement(clientId, granted is null, granted, Round(spent), Round(reserved),
            granted is { } grant ? Round(grant - spent - reserved) : null, recent);
    }

    private double Spent(string clientId)
    {
        using var read = database.Read();
        return read.Scalar("SELECT TOTAL(credits) FROM ledger WHERE owner = $owner", ("$owner", clientId)) is double total ? total : 0;
    }

    private void Release(string clientId, double cost)
    {
        lock (_lock)
        {
            var left = _reserved.GetValueOrDefault(clientId) - cost;
            if (left > 1e-9) _reserved[clientId] = left;
            else _reserved.Remove(clientId);
        }
    }

    private static double Round(double credits) => Math.Round(credits, 6, MidpointRounding.AwayFromZero);

    private static string Show(double credits) => Round(credits).ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);
}
