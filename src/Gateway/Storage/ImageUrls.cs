using Gateway.Hosting;

namespace Gateway.Storage;

/// <summary>
/// The one place image URLs are built: from <c>Gateway:PublicBaseUrl</c> when it is set, so a client's Host header never
/// reaches another client's URLs; otherwise from the request's scheme and host, which forwarded headers may set only
/// when they come from a configured trusted proxy (see <see cref="Hosting.ProxyHeaders"/>).
/// </summary>
public sealed class ImageUrls
{
    private readonly string? _publicBase;

    public ImageUrls(string? publicBaseUrl)
    {
        if (string.IsNullOrWhiteSpace(publicBaseUrl)) return;
        if (!Uri.TryCreate(publicBaseUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
            uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            throw new StartupException(
                $"Gateway:PublicBaseUrl '{publicBaseUrl}' must be an absolute http or https URL without query or fragment, e.g. https://images.example.com.");
        _publicBase = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>True when URLs come from <c>Gateway:PublicBaseUrl</c>.</summary>
    public bool HasPublicBase => _publicBase is not null;

    /// <summary>The absolute URL of the stored image <paramref name="fileName"/>, answered to <paramref name="request"/>.</summary>
    public string For(HttpRequest request, string fileName) =>
        $"{_publicBase ?? $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase}"}{ImageEndpoints.PathPrefix}{fileName}";
}
