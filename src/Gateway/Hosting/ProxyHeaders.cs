using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Gateway.Hosting;

/// <summary>Honours <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> only from <c>Gateway:TrustedProxies</c>; with
/// none configured the headers are ignored and the request is taken as it reached the server.</summary>
public static class ProxyHeaders
{
    public static ForwardedHeadersOptions? OptionsFor(IReadOnlyList<string> trustedProxies)
    {
        var entries = trustedProxies.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e.Trim()).ToList();
        if (entries.Count == 0) return null;
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
        };
        // The defaults trust loopback; only what is configured is trusted here.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in entries)
        {
            if (entry.Contains('/') && System.Net.IPNetwork.TryParse(entry, out var network)) options.KnownIPNetworks.Add(network);
            else if (IPAddress.TryParse(entry, out var address)) options.KnownProxies.Add(address);
            else throw new StartupException($"Gateway:TrustedProxies entry '{entry}' must be an IP address (10.0.0.5) or a network (10.0.0.0/8).");
        }
        return options;
    }
}
