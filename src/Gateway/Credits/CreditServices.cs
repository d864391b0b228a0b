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
        app.MapGet("/credits", (HttpContext context, CreditLedger ledger) => ledger.Statement(context.ClientId())).RequireApiKey();
}
