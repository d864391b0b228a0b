using Gateway.Errors;

namespace Gateway.Auth;

/// <summary>Requires <c>Authorization: Bearer KEY</c> on an endpoint group, and records who the caller is.</summary>
public static class ApiKeyAuthentication
{
    private const string ClientItem = "gateway.client";

    /// <summary>The authenticated caller's id (see <see cref="ApiKeyRegistry"/>), for per-key jobs, credits and fairness.</summary>
    public static string ClientId(this HttpContext context) =>
        context.Items[ClientItem] as string ?? throw new InvalidOperationException("The endpoint does not require an API key.");

    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            context.Items[ClientItem] = Authenticate(context);
            return await next(invocation);
        });

    private static string Authenticate(HttpContext context)
    {
        var registry = context.RequestServices.GetRequiredService<ApiKeyRegistry>();
        if (!registry.Enabled) return ApiKeyRegistry.AnonymousClient;

        var header = context.Request.Headers.Authorization.ToString().Trim();
        const string scheme = "Bearer";
        var key = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..] : null;
        if (header.Length > 0 && (key is null || key.Length > 0 && !char.IsWhiteSpace(key[0])))
            throw Unauthorized("The Authorization header must use the Bearer scheme: send 'Authorization: Bearer YOUR_KEY'.", "missing_api_key");
        if (string.IsNullOrWhiteSpace(key))
            throw Unauthorized("Missing API key: send it as 'Authorization: Bearer YOUR_KEY'.", "missing_api_key");
        if (!registry.TryAuthenticate(key.Trim(), out var clientId))
            throw Unauthorized("Incorrect API key provided.", "invalid_api_key");
        return clientId;
    }

    private static ApiException Unauthorized(string message, string code) =>
        new(StatusCodes.Status401Unauthorized, message, null, code)
        {
            Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer" },
        };
}
