using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageSpace.Core.Color;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using ImageSpace.Web;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>The UI server on a synthetic sample dataset (two groups, a chart in one frame of each) and a real Chromium
/// driven by Playwright. Screenshots go to TestResults/screenshots/ as artefacts.</summary>
public class UiFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public TempDir Dir { get; } = new();
    public string Data => Dir["data"];
    public UiServer.Running? Server { get; private set; }
    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }
    public JsonElement Truth { get; private set; }
    public HttpClient Http { get; } = TestToken.Client();
    public OpenPages Pages { get; } = new();

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium)) return;
        WriteData();
        Truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "truth.json"))).RootElement.Clone();
        Server = await UiServer.StartAsync(new UiOptions
        {
            Folders = [Data], SettingsPath = Dir["settings/ui.json"], ThumbCacheDir = Dir["thumbs"],
        });
        Http.BaseAddress = new Uri(Server.Url);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    protected virtual void WriteData()
    {
        SampleDataset.Write(Data, null, 1200, 800);
        // A file whose name is markup: the page must show it as text.
        File.Copy(Path.Combine(Data, "turntable_B", "objB_0002.dng"), Path.Combine(Data, "turntable_B", "objB_<img src=x onerror=alert(1)>.dng"));
    }

    /// <summary>A fresh page on the UI with the recipe and calibrations back at their defaults.</summary>
    public async Task<IPage> OpenAsync()
    {
        Skip.If(Browser is null, $"{Chromium} is not installed (apt chromium)");
        (await Http.PutAsJsonAsync("/api/recipe", new Recipe(), Recipe.Json)).EnsureSuccessStatusCode();
        foreach (var g in new[] { "", "turntable_A", "turntable_B" })
            (await Http.PostAsJsonAsync("/api/chart/unassign", new { group = g })).EnsureSuccessStatusCode();
        (await Http.PostAsJsonAsync("/api/film/unlock", new { })).EnsureSuccessStatusCode();
        var page = Pages.Add(await Browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } }));
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(Server!.Url);
        await page.WaitForFunctionAsync("() => window.imagespace.renders > 0");
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        string dir = Path.Combine(RepoRoot(), "TestResults", "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png") });
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ImageSpace.slnx"))) return d.FullName;
        return AppContext.BaseDirectory;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        Http.Dispose();
        Dir.Dispose();
    }
}

public class UiBrowserTests(UiFixture ui, ITestOutputHelper log) : IClassFixture<UiFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => ui.Pages.CloseAllAsync();

    private static async Task WaitForRenderAfter(IPage page, int renders) =>
        await page.WaitForFunctionAsync($"() => window.imagespace.renders > {renders} && !window.imagespace.syncing");

    private static Task<int> Renders(IPage page) => page.EvaluateAsync<int>("() => window.imagespace.renders");

    /// <summary>Every 5th pixel's green value (0–255) of the preview as the browser decoded it.</summary>
    internal static Task<int[]> PreviewGreens(IPage page) => page.EvaluateAsync<int[]>(@"() => {
        const img = document.getElementById('preview');
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const x = c.getContext('2d'); x.drawImage(img, 0, 0);
        const d = x.getImageData(0, 0, c.width, c.height).data, out = [];
        for (let i = 0; i < d.length; i += 20) out.push(d[i + 1]);
        return out; }");

    internal static Task<double[]> ToScreen(IPage page, double x, double y) => page.EvaluateAsync<double[]>(@"([x, y]) => {
        const r = document.getElementById('stage-wrap').getBoundingClientRect(), v = window.imagespace.view;
        return [r.left + v.x + x * v.scale, r.top + v.y + y * v.scale]; }", new[] { x, y });

    private double[][] TruthCorners(string file) => ui.Truth.GetProperty("frames").EnumerateArray()
        .First(f => f.GetProperty("file").GetString() == file).GetProperty("chart").GetProperty("Corners")
        .EnumerateArray().Select(c => new[] { c[0].GetDouble(), c[1].GetDouble() }).ToArray();

    [SkippableFact]
    public async Task Opens_the_sample_grouped_with_thumbnails_and_names_shown_as_text()
    {
        var page = await ui.OpenAsync();
        await Assertions.Expect(page.Locator(".group")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".file")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator(".group h4").First).ToContainTextAsync("turntable_A");
        // Thumbnails are made in the background and replace the placeholders.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.file img').length === 6", null, new PageWaitForFunctionOptions { Timeout = 90_000 });
        var thumbWidth = await page.EvaluateAsync<int>("() => document.querySelector('.file img').naturalWidth");
        Assert.Equal(240, thumbWidth);
        // The markup-named file is plain text: no element was made from it (only the page's own line-break chances, wbr).
        await Assertions.Expect(page.Locator(".file .name", new PageLocatorOptions { HasText = "objB_<img src=x onerror=alert(1)>.dng" })).ToHaveCountAsync(1);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => document.querySelectorAll('#file-list .name *:not(wbr)').length"));
        // Keyboard navigation moves the selection down the list.
        string first = await page.Locator(".file.selected").GetAttributeAsync("data-path") ?? "";
        int r0 = await Renders(page);
        await page.Locator("#files").FocusAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await WaitForRenderAfter(page, r0);
        string second = await page.Locator(".file.selected").GetAttributeAsync("data-path") ?? "";
        Assert.EndsWith("objA_0001.dng", first);
        Assert.EndsWith("objA_0002.dng", second);
        await UiFixture.ScreenshotAsync(page, "ui-dataset");
    }

    [SkippableFact]
    public async Task Detect_shows_the_chart_quad_and_24_numbered_patches_where_the_chart_is()
    {
        var page = await ui.OpenAsync();
        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#overlay text[data-patch]")).ToHaveCountAsync(24);
        var points = await page.Locator("#overlay polygon.quad").GetAttributeAsync("points") ?? "";
        var drawn = points.Split(' ').Select(p => p.Split(',').Select(double.Parse).ToArray()).ToArray();
        var truth = TruthCorners("turntable_A/objA_0001.dng");
        Assert.Equal(4, drawn.Length);
        for (int i = 0; i < 4; i++)
        {
            double d = Math.Sqrt(Math.Pow(drawn[i][0] - truth[i][0], 2) + Math.Pow(drawn[i][1] - truth[i][1], 2));
            log.WriteLine($"corner {i}: drawn ({drawn[i][0]:0.0}, {drawn[i][1]:0.0}), truth ({truth[i][0]:0.0}, {truth[i][1]:0.0}), {d:0.0} px");
            Assert.True(d < 12, $"corner {i} is {d:0.0} px from the truth");
        }
        string status = await page.Locator("#chart-status").InnerTextAsync();
        log.WriteLine(status);
        Assert.Contains("ΔE2000", status);
        Assert.Equal(24, await page.Locator("#delta-e-chart rect[data-patch]").CountAsync());
        Assert.Equal(24, await page.Locator(".swatch").CountAsync());
        await UiFixture.ScreenshotAsync(page, "ui-detect");

        // Assigning it to the group marks the group and changes the rendered colours.
        var before = await PreviewGreens(page);
        int r0 = await Renders(page);
        await page.ClickAsync("#chart-assign-group");
        await WaitForRenderAfter(page, r0);
        await Assertions.Expect(page.Locator(".group[data-group='turntable_A'] h4 .cal")).ToContainTextAsync("ΔE");
        var after = await PreviewGreens(page);
        double change = before.Zip(after, (a, b) => Math.Abs(a - b)).Average();
        log.WriteLine($"mean |Δgreen| after calibration: {change:0.00} codes");
        Assert.True(change > 1, $"calibration changed the preview by only {change:0.00} codes");
    }

    [SkippableFact]
    public async Task Exposure_slider_doubles_the_linear_preview()
    {
        var page = await ui.OpenAsync();
        var before = await PreviewGreens(page);
        int r0 = await Renders(page);
        await page.Locator("#exposure").FillAsync("1");
        await WaitForRenderAfter(page, r0);
        var after = await PreviewGreens(page);
        var ratios = before.Zip(after)
            .Select(p => (lin0: TransferFunction.Srgb.Decode(p.First / 255.0), lin1: TransferFunction.Srgb.Decode(p.Second / 255.0)))
            .Where(p => p.lin0 is > 0.05 and < 0.35)
            .Select(p => p.lin1 / p.lin0).Order().ToArray();
        Assert.True(ratios.Length > 1000, $"{ratios.Length} mid-tone samples");
        double median = ratios[ratios.Length / 2];
        log.WriteLine($"+1 EV: median linear ratio {median:0.000} over {ratios.Length} samples; server render {await page.EvaluateAsync<double?>("() => window.imagespace.lastRenderMs")} ms");
        Assert.InRange(median, 1.92, 2.08);
        await UiFixture.ScreenshotAsync(page, "ui-exposure");

        // Before shows the unadjusted image again.
        int r1 = await Renders(page);
        await page.CheckAsync("#before");
        await WaitForRenderAfter(page, r1);
        var unadjusted = await PreviewGreens(page);
        Assert.True(before.Zip(unadjusted, (a, b) => Math.Abs(a - b)).Average() < 0.5);
    }

    private static double MeanDeltaE(string status) =>
        double.Parse(System.Text.RegularExpressions.Regex.Match(status, @"mean ([0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [SkippableFact]
    public async Task Four_picked_corners_flatten_the_chart_and_calibrate()
    {
        var page = await ui.OpenAsync();
        // The second group's chart frame, corners clicked in a scrambled order.
        await page.ClickAsync(".file[data-path$='objB_0001.dng']");
        await page.WaitForFunctionAsync("() => document.getElementById('render-info').textContent.length > 0 && !window.imagespace.syncing");
        await page.WaitForFunctionAsync("() => document.getElementById('status-line').textContent.endsWith('objB_0001.dng')");
        var truth = TruthCorners("turntable_B/objB_0001.dng");
        // The automatic detection on this frame, for comparison.
        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
        double auto = MeanDeltaE(await page.Locator("#chart-status").InnerTextAsync());
        await page.ClickAsync("#chart-manual");
        foreach (int i in new[] { 2, 0, 3, 1 })
        {
            var s = await ToScreen(page, truth[i][0], truth[i][1]);
            await page.Mouse.ClickAsync((float)s[0], (float)s[1]);
        }
        await Assertions.Expect(page.Locator("#flattened")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
        Assert.Equal(600, await page.EvaluateAsync<int>("() => document.getElementById('flattened').naturalWidth"));
        Assert.Equal(4, await page.Locator("#overlay circle.corner").CountAsync());
        string status = await page.Locator("#chart-status").InnerTextAsync();
        log.WriteLine("manual: " + status);
        double manual = MeanDeltaE(status);
        log.WriteLine($"mean ΔE2000: detected {auto:0.00}, manual {manual:0.00}");
        Assert.True(Math.Abs(manual - auto) < 0.3, $"manual corners at the true chart corners give ΔE {manual}, detection {auto}");
        Assert.True(manual < 3, $"mean ΔE2000 {manual} from manual corners");
        await UiFixture.ScreenshotAsync(page, "ui-manual-corners");

        // Dragging a corner moves it and re-flattens.
        var from = await ToScreen(page, truth[0][0], truth[0][1]);
        await page.Mouse.MoveAsync((float)from[0], (float)from[1]);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)from[0] + 3, (float)from[1] + 2, new MouseMoveOptions { Steps = 3 });
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync($"() => Math.abs(window.imagespace.chart.corners[0][0] - {truth[0][0].ToString(System.Globalization.CultureInfo.InvariantCulture)}) > 1");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
    }

    [SkippableFact]
    public async Task A_format_the_namings_extension_contradicts_is_refused_and_the_page_keeps_the_servers_format()
    {
        var page = await ui.OpenAsync();
        await page.FillAsync("#output", Path.Combine(ui.Data, "ui-out-" + Guid.NewGuid().ToString("N")[..6])); // no outputs there yet
        await page.SelectOptionAsync("#format", "jpg");
        // (Counted names: the fixture holds a file whose stem is markup, which [o] cannot name.)
        await page.FillAsync("#custom", "scan");
        await page.FillAsync("#naming", "[s]/[c]_[n4].jpg");
        await page.WaitForFunctionAsync("() => window.imagespace.recipe.naming.schema === '[s]/[c]_[n4].jpg'");
        Assert.EndsWith("turntable_A/scan_0001.jpg", await page.Locator("#name-preview li").First.InnerTextAsync()); // once, not .jpg.jpg
        await page.SelectOptionAsync("#format", "png");
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("ends in '.jpg' but the output format is png");
        // The page shows the format the server kept, which Process would write.
        await Assertions.Expect(page.Locator("#format")).ToHaveValueAsync("jpg");
        var state = JsonDocument.Parse(await ui.Http.GetStringAsync("/api/state")).RootElement;
        Assert.Equal("jpg", state.GetProperty("recipe").GetProperty("export").GetProperty("format").GetString());
        Assert.Equal("[s]/[c]_[n4].jpg", state.GetProperty("recipe").GetProperty("naming").GetProperty("schema").GetString());
        await Assertions.Expect(page.Locator("#process")).ToBeEnabledAsync();

        // The way out the message names: the naming typed to end in .png (refused for JPEG), then PNG: accepted as
        // one choice, the typed naming kept.
        await page.FillAsync("#naming", "[s]/[c]_[n4].png");
        await Assertions.Expect(page.Locator("#naming-error")).ToContainTextAsync("ends in '.png'");
        await page.SelectOptionAsync("#format", "png");
        await Assertions.Expect(page.Locator("#naming-error")).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#name-preview li").First).ToContainTextAsync("turntable_A/scan_0001.png");
        await Assertions.Expect(page.Locator("#naming")).ToHaveValueAsync("[s]/[c]_[n4].png");
        await page.WaitForFunctionAsync("() => window.imagespace.recipe.naming.schema === '[s]/[c]_[n4].png'");
        state = JsonDocument.Parse(await ui.Http.GetStringAsync("/api/state")).RootElement;
        Assert.Equal("png", state.GetProperty("recipe").GetProperty("export").GetProperty("format").GetString());
        await Assertions.Expect(page.Locator("#process")).ToBeEnabledAsync();
    }

    [SkippableFact]
    public async Task Process_runs_the_batch_with_progress_and_the_files_appear()
    {
        var page = await ui.OpenAsync();
        string output = Path.Combine(ui.Data, "ui-out-" + Guid.NewGuid().ToString("N")[..6]);
        await page.SelectOptionAsync("#format", "jpg");
        // Live naming validation: a name leaving the output folder is refused and Process is disabled.
        await page.FillAsync("#naming", "../[o][e]");
        await Assertions.Expect(page.Locator("#naming-error")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#process")).ToBeDisabledAsync();
        await page.FillAsync("#naming", "[s]/[c]_[n4][e]");
        await page.FillAsync("#custom", "scan");
        await page.FillAsync("#output", output);
        await Assertions.Expect(page.Locator("#name-preview li").First).ToContainTextAsync("turntable_A/scan_0001.jpg");
        await Assertions.Expect(page.Locator("#process")).ToBeEnabledAsync();
        await page.ClickAsync("#process");
        await Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("done", new LocatorAssertionsToContainTextOptions { Timeout = 180_000 });
        await UiFixture.ScreenshotAsync(page, "ui-batch");
        var files = Directory.GetFiles(output, "*.jpg", SearchOption.AllDirectories).Order().ToArray();
        log.WriteLine(string.Join("\n", files.Select(f => Path.GetRelativePath(output, f))));
        Assert.Equal(6, files.Length);
        Assert.Contains(Path.Combine(output, "turntable_A", "scan_0001.jpg"), files);
        foreach (var f in files)
        {
            var info = SixLabors.ImageSharp.Image.Identify(f);
            Assert.Equal((1200, 800), (info.Width, info.Height));
        }
        Assert.Equal(6, await page.Locator(".file.done").CountAsync());
        Assert.Empty(Directory.GetFiles(output, "*.tmp*", SearchOption.AllDirectories));
    }
}

/// <summary>The UI server's security without a browser: loopback by default, a token beyond it, files confined to
/// the opened folders.</summary>
public class UiServerSecurityTests
{
    [Fact]
    public async Task Every_request_needs_the_token_on_loopback_too()
    {
        using var dir = new TempDir();
        await using var server = await UiServer.StartAsync(new UiOptions { Token = "a-loopback-secret", SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(server.BaseUrl + "api/state")).StatusCode);
        foreach (var guess in new[] { "a-loopback-secreT", "a", "a-loopback-secret-and-more" })
        {
            var wrong = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "api/state") { Headers = { { "X-ImageSpace-Token", guess } } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        // The printed link carries it once; the page then has it as an HttpOnly cookie.
        var first = await http.GetAsync(server.Url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var cookie = first.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie.ToLowerInvariant());
        var withCookie = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "api/state") { Headers = { { "Cookie", cookie.Split(';')[0] } } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(withCookie)).StatusCode);
    }

    [Fact]
    public async Task Requests_without_the_token_are_refused_and_paths_stay_inside_the_roots()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        await using var server = await UiServer.StartAsync(new UiOptions
        {
            Folders = [dir["data"]], Listen = "0.0.0.0", Token = "s3cret", SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"],
        });
        var port = new Uri(server.Url).Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/state")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/")).StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/state") { Headers = { { "X-ImageSpace-Token", "guess" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        http.DefaultRequestHeaders.Add("X-ImageSpace-Token", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/state")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/api/browse?path=/etc")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/api/browse?path={Uri.EscapeDataString(dir["data"] + "/../..")}")).StatusCode);
        var save = await http.PostAsJsonAsync("/api/project/save", new { path = "/tmp/imagespace-escape.json" });
        Assert.Equal(HttpStatusCode.Forbidden, save.StatusCode);
        Assert.False(File.Exists("/tmp/imagespace-escape.json"));
        // A link inside the root that points outside it is outside.
        File.CreateSymbolicLink(dir["data/etc"], "/etc");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/api/browse?path={Uri.EscapeDataString(dir["data/etc"])}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/browse?path={Uri.EscapeDataString(dir["data"])}")).StatusCode);
    }

    [Fact]
    public async Task Loopback_server_refuses_other_host_names()
    {
        using var dir = new TempDir();
        await using var server = await UiServer.StartAsync(new UiOptions { SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        using var http = TestToken.Client();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(server.BaseUrl + "api/state")).StatusCode);
        // What a page on any web site can make a browser send (a form, text/plain) is refused: only JSON changes things.
        var form = await http.PostAsync(server.BaseUrl + "api/cancel", new FormUrlEncodedContent([new("x", "1")]));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        var text = await http.PostAsync(server.BaseUrl + "api/project/save", new StringContent("{\"path\":\"/tmp/x.json\"}", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync(server.BaseUrl + "api/cancel", new { })).StatusCode);
        var rebinding = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "api/state") { Headers = { Host = "attacker.example" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(rebinding)).StatusCode);
    }
}

/// <summary>Project files and user settings of the UI, through its HTTP API.</summary>
public class UiProjectTests
{
    [Fact]
    public async Task A_saved_project_brings_back_recipe_and_folder_and_settings_persist()
    {
        using var dir = new TempDir();
        SampleDataset.Write(dir["data"], null, 600, 400);
        string settings = dir["cfg/ui.json"];
        await using (var server = await UiServer.StartAsync(new UiOptions { Folders = [dir["data"]], SettingsPath = settings, ThumbCacheDir = dir["thumbs"] }))
        {
            using var http = TestToken.Client(server.Url);
            var recipe = new Recipe { Adjust = new Core.Adjust.AdjustOptions { ExposureEv = 0.7, Shadows = 25 }, Export = new ExportOptions { Format = "png" } };
            (await http.PutAsJsonAsync("/api/recipe", recipe, Recipe.Json)).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/project/save", new { path = dir["data/project.json"] })).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync("/api/recipe", new Recipe(), Recipe.Json)).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync("/api/settings", new UserSettings { Theme = "light" })).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/project/load", new { path = dir["data/project.json"] })).EnsureSuccessStatusCode();
            var state = JsonDocument.Parse(await http.GetStringAsync("/api/state")).RootElement;
            Assert.Equal(0.7, state.GetProperty("recipe").GetProperty("adjust").GetProperty("exposureEv").GetDouble());
            Assert.Equal(25, state.GetProperty("recipe").GetProperty("adjust").GetProperty("shadows").GetDouble());
            Assert.Equal("png", state.GetProperty("recipe").GetProperty("export").GetProperty("format").GetString());
            Assert.Equal(dir["data"], state.GetProperty("folder").GetString());
            // The project file is a recipe a CLI run can use as well.
            var saved = JsonDocument.Parse(File.ReadAllText(dir["data/project.json"])).RootElement.GetProperty("recipe").GetRawText();
            Assert.Equal(0.7, Recipe.FromJson(saved).Adjust.ExposureEv);
            // A recipe naming a file outside the opened folders is refused (the pipeline would read it).
            var outside = await http.PutAsJsonAsync("/api/recipe", recipe with { Film = new Core.Film.FilmOptions { Enabled = true, FlatField = "/etc/hostname" } }, Recipe.Json);
            Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
            var outsideCsv = await http.PutAsJsonAsync("/api/recipe", recipe with { Calibration = new CalibrationOptions { Reference = "/etc/ref.csv" } }, Recipe.Json);
            Assert.Equal(HttpStatusCode.Forbidden, outsideCsv.StatusCode);
            // A bad recipe is refused with its reason and changes nothing.
            var bad = await http.PutAsJsonAsync("/api/recipe", recipe with { Adjust = new Core.Adjust.AdjustOptions { Denoise = 400 } }, Recipe.Json);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("denoise", await bad.Content.ReadAsStringAsync());
        }
        // Settings survive a restart.
        Assert.Equal("light", UserSettings.Load(settings).Theme);
        Assert.Equal(dir["data"], UserSettings.Load(settings).LastFolder);
    }

    [Fact]
    public async Task Exposure_normalisation_stores_multipliers_that_equalise_the_frames_and_shows_its_mask()
    {
        using var dir = new TempDir();
        // A bracketed set: the same scene at -1, 0, +1 EV.
        Directory.CreateDirectory(dir["data/set"]);
        for (int i = 0; i < 3; i++)
            SyntheticDng.Write(dir[$"data/set/br_{i}.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 60, ExposureEv = i - 1, Seed = 5 });
        await using var server = await UiServer.StartAsync(new UiOptions { Folders = [dir["data"]], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        using var http = TestToken.Client(server.Url);
        var res = JsonDocument.Parse(await (await http.PostAsJsonAsync("/api/exposure/normalise", new { })).Content.ReadAsStringAsync()).RootElement;
        var m = res.GetProperty("recipe").GetProperty("adjust").GetProperty("exposureMultipliers");
        double k0 = m.GetProperty("set/br_0.dng").GetDouble(), k1 = m.GetProperty("set/br_1.dng").GetDouble(), k2 = m.GetProperty("set/br_2.dng").GetDouble();
        // Normalised: multiplier × exposure is the same for the three frames (2^-1, 2^0, 2^1), within 1 %, although
        // the +1 EV frame has clipped highlights.
        Assert.InRange(k0 * 0.5 / (k1 * 1), 0.99, 1.01);
        Assert.InRange(k2 * 2 / (k1 * 1), 0.99, 1.01);
        var mask = await http.GetAsync($"/api/exposure/mask?file={Uri.EscapeDataString(dir["data/set/br_2.dng"])}");
        Assert.Equal("image/jpeg", mask.Content.Headers.ContentType?.MediaType);
        Assert.Equal(900 / 2, SixLabors.ImageSharp.Image.Identify(await mask.Content.ReadAsByteArrayAsync()).Width);
    }

    [Fact]
    public async Task Preview_of_a_broken_file_is_a_one_line_error_naming_it()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        File.WriteAllText(dir["data/broken.nef"], "not a raw file");
        await using var server = await UiServer.StartAsync(new UiOptions { Folders = [dir["data"]], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        using var http = TestToken.Client(server.Url);
        var r = await http.GetAsync($"/api/preview?file={Uri.EscapeDataString(dir["data/broken.nef"])}");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        string error = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("broken.nef", error);
        Assert.DoesNotContain("\n", error);
    }
}

/// <summary>The UI on a synthetic roll of colour negatives (rebate at the sides, a chart in the first frame).</summary>
public sealed class NegativeUiFixture : UiFixture
{
    protected override void WriteData() => SampleDataset.WriteNegatives(Data, null, 1200, 800);
}

public class UiFilmTests(NegativeUiFixture ui, ITestOutputHelper log) : IClassFixture<NegativeUiFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => ui.Pages.CloseAllAsync();

    private static double Correlation(int[] a, int[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }

    private static async Task RenderAfter(IPage page, Func<Task> action)
    {
        int before = await page.EvaluateAsync<int>("() => window.imagespace.renders");
        await action();
        await page.WaitForFunctionAsync($"() => window.imagespace.renders > {before} && !window.imagespace.syncing");
    }

    [SkippableFact]
    public async Task Film_mode_inverts_the_preview_takes_a_picked_base_and_locks_the_roll_from_the_chart()
    {
        var page = await ui.OpenAsync();
        var negative = await UiBrowserTests.PreviewGreens(page);
        await page.ClickAsync("summary:has-text('Film negative')");
        await RenderAfter(page, () => page.CheckAsync("#film-enabled"));
        var positive = await UiBrowserTests.PreviewGreens(page);
        double r = Correlation(negative, positive);
        log.WriteLine($"correlation of the preview's green before/after inversion: {r:0.000}");
        Assert.True(r < -0.5, $"the positive should follow the negative inversely (r = {r:0.000})");

        // Film base from a dragged rectangle over the rebate (left 7 % of the frame, clear of the sprocket holes).
        await page.ClickAsync("#film-base-pick");
        var a = await UiBrowserTests.ToScreen(page, 66, 150);
        var b = await UiBrowserTests.ToScreen(page, 80, 650);
        await RenderAfter(page, async () =>
        {
            await page.Mouse.MoveAsync((float)a[0], (float)a[1]);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync((float)b[0], (float)b[1], new MouseMoveOptions { Steps = 5 });
            await page.Mouse.UpAsync();
        });
        string baseText = await page.Locator("#film-base").InnerTextAsync();
        log.WriteLine($"picked base rectangle: {baseText}");
        var parts = baseText.Split(',').Select(int.Parse).ToArray();
        Assert.Equal(4, parts.Length);
        Assert.InRange(parts[0], 60, 72);
        Assert.InRange(parts[2], 8, 20);
        Assert.True(Correlation(negative, await UiBrowserTests.PreviewGreens(page)) < -0.5);

        // The chart frame on the negative: detected on the inverted image, and it locks the roll.
        await page.ClickAsync("#chart-detect");
        // Detection on the negative decodes the frame in full: seconds when the machine is busy.
        await Assertions.Expect(page.Locator("#overlay text[data-patch]")).ToHaveCountAsync(24, new LocatorAssertionsToHaveCountOptions { Timeout = 60_000 });
        string status = await page.Locator("#chart-status").InnerTextAsync();
        log.WriteLine("film chart: " + status);
        await RenderAfter(page, () => page.ClickAsync("#chart-assign-global"));
        await Assertions.Expect(page.Locator("#roll-status")).ToContainTextAsync("locked");
        await UiFixture.ScreenshotAsync(page, "ui-film");
    }

    private static Task<int[]> PreviewSize(IPage page) =>
        page.EvaluateAsync<int[]>("() => { const i = document.getElementById('preview'); return [i.naturalWidth, i.naturalHeight]; }");

    [SkippableFact]
    public async Task Crop_rebate_cuts_the_film_edges_from_the_preview()
    {
        var page = await ui.OpenAsync();
        await page.ClickAsync("summary:has-text('Film negative')");
        if (!await page.IsCheckedAsync("#film-enabled")) await RenderAfter(page, () => page.CheckAsync("#film-enabled"));
        if (await page.IsCheckedAsync("#film-crop")) await RenderAfter(page, () => page.UncheckAsync("#film-crop"));
        var whole = await PreviewSize(page);
        await RenderAfter(page, () => page.CheckAsync("#film-crop"));
        var cropped = await PreviewSize(page);
        await UiFixture.ScreenshotAsync(page, "ui-film-crop");
        await RenderAfter(page, () => page.UncheckAsync("#film-crop"));
        // The simulated frames have a rebate (with sprocket holes) at the left and right; the crop also insets 0.5 % of
        // the long side. Top and bottom are picture and stay.
        double expected = (1200 - 2.0 * NegativeSimulator.RebateWidth(1200)) / 1200;
        log.WriteLine($"preview {whole[0]}×{whole[1]} → {cropped[0]}×{cropped[1]} (rebate-free share {expected:0.000})");
        Assert.InRange((double)cropped[0] / whole[0], expected - 0.03, expected + 0.005);
        Assert.InRange((double)cropped[1] / whole[1], 0.97, 1.0);
    }
}
