namespace Gateway.Hosting;

/// <summary>Where the server listens when nothing says otherwise: port 8080 on loopback, as every example assumes.</summary>
public static class ListenAddresses
{
    public const string Default = "http://127.0.0.1:8080";

    /// <summary>
    /// Whether the configuration names no address: no <c>--urls</c> / <c>ASPNETCORE_URLS</c>, no
    /// <c>ASPNETCORE_HTTP_PORTS</c> / <c>HTTPS_PORTS</c>, no <c>Kestrel:Endpoints</c>.
    /// </summary>
    public static bool NoneConfigured(IConfiguration configuration) =>
        string.IsNullOrEmpty(configuration["urls"])
        && string.IsNullOrEmpty(configuration["http_ports"])
        && string.IsNullOrEmpty(configuration["https_ports"])
        && !configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
}
