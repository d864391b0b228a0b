using Microsoft.Net.Http.Headers;

namespace Gateway.Hosting;

/// <summary>The studio page at <c>/</c>: static files from <c>wwwroot</c> (plain HTML, CSS and JavaScript modules; nothing
/// is fetched from elsewhere), calling this server's API with the key the user enters.</summary>
public static class StudioSetup
{
    public static WebApplication UseStudio(this WebApplication app)
    {
        // Only this server's own scripts, styles and API; images also from data: and blob: URLs (previews, uploads) and
        // from Gateway:PublicBaseUrl, which stored images' URLs are built from.
        var publicBase = app.Services.GetRequiredService<GatewayOptions>().PublicBaseUrl;
        var imageOrigin = Uri.TryCreate(publicBase?.Trim(), UriKind.Absolute, out var uri) ? " " + uri.GetLeftPart(UriPartial.Authority) : "";
        var contentSecurityPolicy =
            $"default-src 'self'; img-src 'self' data: blob:{imageOrigin}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                // Revalidated on every load, so an upgraded server never runs with an older page's scripts.
                headers[HeaderNames.CacheControl] = "no-cache";
                headers[HeaderNames.ContentSecurityPolicy] = contentSecurityPolicy;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
            },
        });
        return app;
    }
}
