using Gateway.Tests.Support;
using Microsoft.Playwright;

namespace Gateway.Tests.Studio;

/// <summary>One server on the tiny models and one headless Chromium for a test class. The browser is Debian's
/// <c>chromium</c> package (<c>.ci/run</c> installs it; <c>CHROMIUM_PATH</c> names another), never a downloaded one.</summary>
public sealed class StudioBrowser : IAsyncLifetime
{
    private const string DefaultChromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public GatewayTestServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots go to the test output folder, where CI keeps them.</summary>
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : DefaultChromium;
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"The studio tests drive Chromium at {chromium}; install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH.");
        // Generations on a busy CI machine can take seconds; assertions wait for the page that long, not Playwright's 5 s.
        Assertions.SetDefaultExpectTimeout(30_000);
        Server = await GatewayTestServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
    }

    /// <summary>A fresh page (its own local storage) on the studio, at a desktop size or <paramref name="phone"/> width.</summary>
    public async Task<IPage> OpenStudioAsync(bool phone = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        return page;
    }

    public static async Task EnterKeyAsync(IPage page, string key = GatewayTestServer.Key)
    {
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save key" }).ClickAsync();
        await Assertions.Expect(page.Locator("#model option[value='tiny-sd']")).ToHaveCountAsync(1);
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }
}
