using System.Globalization;
using System.Security.Cryptography;
using Gateway.Auth;
using Gateway.Credits;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;
using Gateway.Redis;
using Gateway.Storage;
using Microsoft.Extensions.Logging;

namespace Gateway.Apis.Shared;

/// <summary>
/// Charges a synchronous generation (OpenAI and Hyperbolic dialects) as the job API charges a job: the price of
/// <see cref="CreditCost"/> for each image, reserved before any work (402 when the balance cannot pay), recorded in
/// the ledger once the images exist, and shown in <c>X-Credits-Charged</c>.
/// </summary>
/// <remarks>On a cluster node the reservation and the charge are the cluster's (<see cref="ClusterCredits"/>).</remarks>
public sealed class Metering(CreditLedger credits, CreditAccounts accounts, GatewayDatabase database, ILogger<Metering> logger,
    ClusterCredits? cluster = null)
{
    public const string ChargedHeader = "X-Credits-Charged";

    /// <summary>What a request costs: <paramref name="count"/> images of width × height at <paramref name="steps"/>.</summary>
    public static double Price(int width, int height, int steps, double multiplier, int count) =>
        Math.Round(CreditCost.For(width, height, steps, multiplier) * count, 6, MidpointRounding.AwayFromZero);

    /// <summary>Runs <paramref name="generate"/> under a reservation of <paramref name="price"/> and charges it on success.</summary>
    /// <param name="dialect">Prefix of the ledger's <c>job_id</c> for this request (e.g. <c>openai</c>).</param>
    public async Task<GenerationResult> RunAsync(
        HttpContext http, string dialect, GenerationRequest request, int width, int height, int steps, double price,
        Func<Task<GenerationResult>> generate)
    {
        var owner = http.ClientId();
        var id = $"{dialect}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        if (cluster is not null) return await RunOnClusterAsync(http, cluster, owner, id, request, width, height, steps, price, generate);
        using var reservation = credits.Reserve(owner, price);
        var result = await generate();
        try
        {
            await database.WriteAsync(write =>
            {
                CreditLedger.Charge(write, new LedgerEntry(owner, id, request.Model, width, height, steps, price,
                    Timestamps.ToText(DateTimeOffset.UtcNow)));
                write.Commit();
            });
        }
        catch (StorageUnavailableException e) when (!credits.IsMetered(owner))
        {
            // An unlimited key's row is a usage record only: images that need no storage still go out while the
            // database is unavailable. A metered key's charge must be recorded, so its request fails (503).
            logger.LogWarning("Usage of {Request} by an unlimited key was not recorded: {Reason}", id, e.Message);
        }
        SetChargedHeader(http, price);
        return result;
    }

    private async Task<GenerationResult> RunOnClusterAsync(HttpContext http, ClusterCredits ledger, string owner, string id,
        GenerationRequest request, int width, int height, int steps, double price, Func<Task<GenerationResult>> generate)
    {
        var reference = ClusterJob.RefOf(owner, id);
        var reservation = await ledger.ReserveAsync(owner, reference, price, accounts.GrantOf(owner), DateTimeOffset.UtcNow + TimeSpan.FromHours(1));
        if (reservation.Left is { } left)
            throw new ApiException(StatusCodes.Status402PaymentRequired,
                $"Insufficient credits: this request costs {Show(price)} credits and the key has {Show(left)} left.", null, "insufficient_credits");
        try
        {
            var result = await generate();
            var entry = new LedgerEntry(owner, id, request.Model, width, height, steps, price, Timestamps.ToText(DateTimeOffset.UtcNow));
            await ledger.ChargeAsync(owner, reference, price, System.Text.Json.JsonSerializer.Serialize(entry));
            SetChargedHeader(http, price);
            return result;
        }
        catch
        {
            try
            {
                await ledger.ReleaseAsync(owner, reference);
            }
            catch (Exception e) when (RedisOutage.Is(e))
            {
                logger.LogWarning("Could not release the reservation of {Request}; it expires by itself: {Reason}", id, e.Message);
            }
            throw;
        }
    }

    private static string Show(double credits) =>
        Math.Round(Math.Max(0, credits), 6, MidpointRounding.AwayFromZero).ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Sets <c>X-Credits-Charged</c>, unless the response (a stream) has already started: then the charge is
    /// only in the ledger (<c>GET /credits</c>).</summary>
    public static void SetChargedHeader(HttpContext http, double price)
    {
        if (http.Response.HasStarted) return;
        http.Response.Headers[ChargedHeader] = price.ToString("0.######", CultureInfo.InvariantCulture);
    }
}
