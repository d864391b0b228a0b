using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Tests.Imaging;
using Gateway.Diffusion.Pipelines;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Studio;

/// <summary>The studio page in a real browser against a real server on the tiny model.</summary>
public sealed class StudioPageTests(StudioBrowser studio) : IClassFixture<StudioBrowser>
{
    [Fact]
    public async Task Generates_with_ctrl_enter_shows_progress_to_100_percent_and_the_image()
    {
        var page = await studio.OpenStudioAsync();
        await StudioBrowser.EnterKeyAsync(page);
        await page.GetByLabel("Prompt", new PageGetByLabelOptions { Exact = true }).FillAsync("a lighthouse at dusk");
        await page.GetByLabel("Negative prompt").FillAsync("fog");
        // Long enough (about a second) for the page's event stream to be open while the steps run.
        await page.GetByLabel("Width").FillAsync("512");
        await page.GetByLabel("Height").FillAsync("512");
        await page.GetByLabel("Steps").FillAsync("30");
        await page.GetByLabel("Seed", new PageGetByLabelOptions { Exact = true }).FillAsync("42");
        await StudioBrowser.ScreenshotAsync(page, "studio-form");

        // Every value the bar shows, as the page sets it.
        await page.EvaluateAsync("""
            () => {
              window.progressSeen = [];
              const bar = document.getElementById('progress');
              new MutationObserver(() => window.progressSeen.push(bar.getAttribute('aria-valuenow')))
                .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
            }
            """);
        await page.GetByLabel("Prompt", new PageGetByLabelOptions { Exact = true }).PressAsync("Control+Enter");

        var progress = page.GetByRole(AriaRole.Progressbar, new PageGetByRoleOptions { Name = "Generation progress" });
        await Expect(progress).ToHaveAttributeAsync("aria-valuenow", "100", new LocatorAssertionsToHaveAttributeOptions { Timeout = 60_000 });
        // The steps arrived live from the job's event stream, with previews of the latents.
        var seen = await page.EvaluateAsync<string?[]>("() => window.progressSeen");
        Assert.Contains(seen, value => int.TryParse(value, out var percent) && percent is > 0 and < 100);
        Assert.StartsWith("data:image/jpeg;base64,", await page.Locator("#preview").GetAttributeAsync("src"));
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Done: 1 image.");
        var result = page.Locator("#results img");
        await Expect(result).ToHaveCountAsync(1);
        Assert.True(await result.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 512 && img.naturalHeight === 512"));
        await Expect(page.Locator("#results figcaption")).ToContainTextAsync("Seed 42");
        await StudioBrowser.ScreenshotAsync(page, "studio-result");

        // The image was stored for this key with its parameters, and shows in the history.
        await Expect(page.Locator("#gallery img")).Not.ToHaveCountAsync(0);
        var source = await result.GetAttributeAsync("src");
        using var client = studio.Server.Client();
        var png = await client.GetByteArrayAsync(source);
        var infotext = PngText.Read(png)["parameters"];
        Assert.StartsWith("a lighthouse at dusk\nNegative prompt: fog\nSteps: 30, Sampler: ", infotext);
        Assert.EndsWith(", Seed: 42, Size: 512x512, Model: tiny-sd", infotext);
    }

    [Fact]
    public async Task Cancel_stops_a_long_run_on_the_server()
    {
        var page = await studio.OpenStudioAsync();
        await StudioBrowser.EnterKeyAsync(page);
        await page.GetByLabel("Prompt", new PageGetByLabelOptions { Exact = true }).FillAsync("a very long run");
        // About a minute and a half of work on the tiny model: only cancelling ends it within the test's time.
        await page.GetByLabel("Width").FillAsync("2048");
        await page.GetByLabel("Height").FillAsync("2048");
        await page.GetByLabel("Steps").FillAsync("150");
        var engine = studio.Server.App.Services.GetRequiredService<DiffusionEngine>();

        var sent = await page.RunAndWaitForRequestAsync(
            () => page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Generate" }).ClickAsync(), "**/v1/image/generation");
        var jobId = sent.Headers["x-job-id"];
        var cancel = page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Cancel" });
        await Expect(cancel).ToBeEnabledAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("of 150.", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await StudioBrowser.ScreenshotAsync(page, "studio-running");
        await cancel.ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Cancelled.");
        await Expect(page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Generate" })).ToBeEnabledAsync();
        await Expect(cancel).ToBeDisabledAsync();
        await Expect(page.Locator("#results img")).ToHaveCountAsync(0);
        using var client = studio.Server.Client();
        var job = await client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}");
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        // The worker is free again long before the cancelled run could have finished.
        var next = engine.GenerateAsync(new GenerationRequest { Model = "tiny-sd", Prompt = "after", Width = 64, Height = 64, Steps = 1, Seed = 1 });
        await next.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_image_from_the_history_reopens_with_its_parameters_and_reuse_fills_the_form()
    {
        using var client = studio.Server.Client();
        using var stored = await client.PostAsJsonAsync("/v1/image/generation", new
        {
            model_name = "tiny-sd", prompt = "a harbour in the rain", negative_prompt = "people", width = 96, height = 64, steps = 5,
            cfg_scale = 6.5, sampler = "Euler", seed = 1234, response_format = "url",
        });
        stored.EnsureSuccessStatusCode();

        var page = await studio.OpenStudioAsync();
        await StudioBrowser.EnterKeyAsync(page);
        // The key is kept in the browser: after a reload the page still has it and shows the history.
        await page.ReloadAsync();
        await Expect(page.GetByLabel("API key")).ToHaveValueAsync(GatewayTestServer.Key);
        var thumb = page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Open: a harbour in the rain" });
        await thumb.ClickAsync();

        var viewer = page.GetByRole(AriaRole.Dialog);
        await Expect(viewer).ToBeVisibleAsync();
        await Expect(viewer.Locator("pre")).ToHaveTextAsync(
            "a harbour in the rain\nNegative prompt: people\nSteps: 5, Sampler: Euler, CFG scale: 6.5, Seed: 1234, Size: 96x64, Model: tiny-sd");
        await StudioBrowser.ScreenshotAsync(page, "studio-history");
        await viewer.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Reuse parameters" }).ClickAsync();

        await Expect(viewer).ToBeHiddenAsync();
        await Expect(page.GetByLabel("Prompt", new PageGetByLabelOptions { Exact = true })).ToHaveValueAsync("a harbour in the rain");
        await Expect(page.GetByLabel("Negative prompt")).ToHaveValueAsync("people");
        await Expect(page.GetByLabel("Width")).ToHaveValueAsync("96");
        await Expect(page.GetByLabel("Height")).ToHaveValueAsync("64");
        await Expect(page.GetByLabel("Steps")).ToHaveValueAsync("5");
        await Expect(page.GetByLabel("Guidance")).ToHaveValueAsync("6.5");
        await Expect(page.GetByLabel("Sampler")).ToHaveValueAsync("Euler");
        await Expect(page.GetByLabel("Seed", new PageGetByLabelOptions { Exact = true })).ToHaveValueAsync("1234");
    }

    [Fact]
    public async Task A_start_image_makes_it_image_to_image_at_the_images_size()
    {
        var file = await StartImageFileAsync(96, 80);
        using var client = studio.Server.Client();
        try
        {
            var page = await studio.OpenStudioAsync();
            await StudioBrowser.EnterKeyAsync(page);
            await page.GetByLabel("Start image", new PageGetByLabelOptions { Exact = true }).SetInputFilesAsync(file);
            await Expect(page.GetByLabel("Width")).ToHaveValueAsync("96");
            await Expect(page.GetByLabel("Height")).ToHaveValueAsync("80");
            await page.GetByLabel("Prompt", new PageGetByLabelOptions { Exact = true }).FillAsync("an oil painting of it");
            await page.GetByLabel("Steps").FillAsync("4");
            await page.GetByLabel("Strength").FillAsync("0.6");

            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Generate" }).ClickAsync();

            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Done: 1 image.");
            var result = page.Locator("#results img");
            Assert.True(await result.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 96 && img.naturalHeight === 80"));
            var stored = await client.GetByteArrayAsync(await result.GetAttributeAsync("src"));
            Assert.Contains("Denoising strength: 0.6", PngText.Read(stored)["parameters"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_painted_mask_inpaints_through_the_edits_endpoint()
    {
        var file = await StartImageFileAsync(64, 64);
        try
        {
            var page = await studio.OpenStudioAsync();
            await StudioBrowser.EnterKeyAsync(page);
            await page.GetByLabel("Start image", new PageGetByLabelOptions { Exact = true }).SetInputFilesAsync(file);
            await page.GetByLabel("Prompt", new PageGetByLabelOptions { Exact = true }).FillAsync("a red door");
            await page.GetByLabel("Draw a mask").CheckAsync();
            var mask = page.GetByLabel("Mask: paint where the image should change");
            var box = (await mask.BoundingBoxAsync())!;
            await page.Mouse.MoveAsync(box.X + box.Width * 0.2f, box.Y + box.Height * 0.5f);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + box.Width * 0.8f, box.Y + box.Height * 0.5f, new MouseMoveOptions { Steps = 5 });
            await page.Mouse.UpAsync();
            await StudioBrowser.ScreenshotAsync(page, "studio-mask");

            var answer = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Generate" }).ClickAsync(), "**/v1/images/edits");

            Assert.Equal(200, answer.Status);
            // The server read a mask: it names how it inpainted.
            Assert.Contains(await answer.HeaderValueAsync("x-inpaint-method"), new[] { "inpaint-model", "masked-img2img" });
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Done: 1 image.");
            var result = page.Locator("#results img");
            Assert.True(await result.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 64 && img.naturalHeight === 64"));
            using var client = studio.Server.Client();
            Assert.StartsWith("a red door\n", PngText.Read(await client.GetByteArrayAsync(await result.GetAttributeAsync("src")))["parameters"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A PNG made by the tiny model, to start image-to-image from.</summary>
    private async Task<string> StartImageFileAsync(int width, int height)
    {
        using var client = studio.Server.Client();
        using var made = await client.PostAsJsonAsync("/v1/image/generation", new
        {
            model_name = "tiny-sd", prompt = "a start image", width, height, steps = 2, seed = 5,
        });
        made.EnsureSuccessStatusCode();
        var png = Convert.FromBase64String((await made.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images")[0].GetProperty("image").GetString()!);
        var file = Path.Combine(Path.GetTempPath(), $"studio-start-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, png);
        return file;
    }

    [Fact]
    public async Task The_page_is_served_at_the_root_with_a_policy_that_keeps_it_to_this_server()
    {
        using var client = studio.Server.Client(null);
        using var page = await client.GetAsync("/");
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'self'; img-src 'self' data: blob:;", policy);
        Assert.DoesNotContain("http", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        using var script = await client.GetAsync("/js/studio.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task At_phone_width_the_page_fits_the_screen()
    {
        var page = await studio.OpenStudioAsync(phone: true);
        await StudioBrowser.EnterKeyAsync(page);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "The page scrolls sideways at 390 px.");
        await StudioBrowser.ScreenshotAsync(page, "studio-phone");
    }

    [Fact]
    public async Task Every_control_has_a_label_pickers_follow_the_server_and_a_wrong_key_is_explained()
    {
        var page = await studio.OpenStudioAsync();
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, textarea, button')]
              .filter(e => !e.labels?.length && !e.getAttribute('aria-label') && !e.textContent.trim())
              .map(e => e.id || e.outerHTML)
            """);
        Assert.Empty(unlabelled);

        // The ControlNet picker shows only what the server lists for the model; without the list it is hidden.
        await StudioBrowser.EnterKeyAsync(page);
        using var client = studio.Server.Client();
        using var listed = await client.GetAsync("/v1/image/controlnets");
        var section = page.Locator("#controlnet-section");
        if (listed.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            await Expect(section).ToBeHiddenAsync();
        }
        else
        {
            var forModel = (await listed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("controlnets").EnumerateArray()
                .Count(c => c.GetProperty("models").EnumerateArray().Any(m => m.GetString() == "tiny-sd"));
            await Expect(page.Locator("#controlnet option")).ToHaveCountAsync(forModel + 1);
            if (forModel > 0) await Expect(section).ToBeVisibleAsync();
            else await Expect(section).ToBeHiddenAsync();
        }

        await page.GetByLabel("API key").FillAsync("sk-wrong");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save key" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Incorrect API key provided.");
    }
}
