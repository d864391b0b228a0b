using Microsoft.Net.Http.Headers;

namespace Gateway.Hosting;

/// <summary>The studio page at <c>/</c>: static files from <c>wwwroot</c> (plain HTML, CSS and JavaScript modules; nothing
/// is fetched from elsewhere), calling this server's API with the key the user enters.</summary>
public static class StudioSetup
{
    // Only this server's own scripts, styles and API; images also from data: and blob: URLs (previews, uploads).
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static WebApplication UseStudio(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                // Revalidated on every load, so an upgraded server never runs with an older page's scripts.
                headers[HeaderNames.CacheControl] = "no-cache";
                headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
            },
        });
        return app;
    }
}
