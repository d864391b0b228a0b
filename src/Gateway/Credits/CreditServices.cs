using Gateway.Auth;

namespace Gateway.Credits;

public static class CreditServices
{
    /// <summary>Balances from <c>Gateway:Credits</c> and the ledger; needs <see cref="Storage.StorageServices.AddGatewayStorage"/>.</summary>
    public static IServiceCollection AddCredits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(CreditOptions.Section).Get<CreditOptions>() ?? new CreditOptions();
        services.AddSingleton(options);
        services.AddSingleton(new CreditAccounts(options.Balances));
        services.AddSingleton<CreditLedger>();
        return services;
    }

    /// <summary><c>GET /credits</c>: the caller's balance and recent charges.</summary>
    public static RouteHandlerBuilder MapCreditsEndpoint(this IEndpointRouteBuilder app) =>
        app.MapGet("/credits", async (HttpContext context, CreditLedger ledger, CreditAccounts accounts, CreditOptions options,
            IServiceProvider services) =>
        {
            var client = context.ClientId();
            if (services.GetService<Redis.ClusterCredits>() is not { } cluster) return ledger.Statement(client);
            var (spent, reserved, recent) = await cluster.StatementAsync(client, Math.Max(0, options.RecentUsage));
            var granted = accounts.GrantOf(client);
            return new CreditStatement(client, granted is null, granted, Round(spent), Round(reserved),
                granted is { } grant ? Round(grant - spent - reserved) : null,
                recent.Select(json => System.Text.Json.JsonSerializer.Deserialize<LedgerEntry>(json)! with { Owner = client }).ToList());
        }).RequireApiKey();

    private static double Round(double credits) => Math.Round(credits, 6, MidpointRounding.AwayFromZero);
}
