using System.Net.Http.Json;
using ImageSpace.Core.Color;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using ImageSpace.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>Only Chromium: each test of <see cref="UiWorkflowTests"/> starts its own UI server on its own folder.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }
    public OpenPages Pages { get; } = new();

    public async Task InitializeAsync()
    {
        if (!File.Exists(UiFixture.Chromium)) return;
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = UiFixture.Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A page on <paramref name="server"/>, waited until its first preview is shown (when it has files).</summary>
    public async Task<IPage> OpenAsync(UiServer.Running server, int width = 1400, int height = 900, bool waitForPreview = true)
    {
        Skip.If(Browser is null, $"{UiFixture.Chromium} is not installed (apt chromium)");
        var page = Pages.Add(await Browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } }));
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(server.Url);
        if (waitForPreview) await page.WaitForFunctionAsync("() => window.imagespace.renders > 0 && !window.imagespace.syncing");
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
    }
}

/// <summary>The UI's work on other inputs and its state from one image to the next, in Chromium.</summary>
public class UiWorkflowTests(ChromiumFixture chromium, ITestOutputHelper log) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => chromium.Pages.CloseAllAsync();

    private static Task<UiServer.Running> Start(TempDir dir, string folder) =>
        UiServer.StartAsync(new UiOptions { Folders = [folder], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });

    private static async Task RenderAfter(IPage page, Func<Task> action)
    {
        int before = await page.EvaluateAsync<int>("() => window.imagespace.renders");
        await action();
        await page.WaitForFunctionAsync($"() => window.imagespace.renders > {before} && !window.imagespace.syncing");
    }

    /// <summary>A smooth, colourful 8-bit scan (gradients and blocks) written by ImageSharp, as a scanner would.</summary>
    private static void WriteScan(string path, int w, int h, int seed)
    {
        using var img = new Image<Rgb24>(w, h);
        var rng = new Random(seed);
        var blocks = Enumerable.Range(0, 12).Select(_ => (x: rng.Next(w - 200), y: rng.Next(h - 150), c: new Rgb24((byte)rng.Next(30, 230), (byte)rng.Next(30, 230), (byte)rng.Next(30, 230)))).ToArray();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = new Rgb24((byte)(20 + 200 * x / w), (byte)(30 + 180 * y / h), (byte)(200 - 150 * (x + y) / (w + h)));
                foreach (var b in blocks) if (x >= b.x && x < b.x + 200 && y >= b.y && y < b.y + 150) p = b.c;
                img[x, y] = p;
            }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (path.EndsWith(".jpg")) img.SaveAsJpeg(path, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 95 });
        else img.SaveAsTiff(path);
    }

    private static Rgb24[] Pixels(string path)
    {
        using var img = Image.Load<Rgb24>(path);
        var px = new Rgb24[img.Width * img.Height];
        img.CopyPixelDataTo(px);
        return px;
    }

    [SkippableFact]
    public async Task A_folder_of_JPEG_and_TIFF_scans_opens_previews_inverts_negatives_and_exports()
    {
        using var dir = new TempDir();
        // Positives: a JPEG and a TIFF scan. Negatives: synthetic colour negatives rendered (as shot, not inverted) to
        // 16-bit TIFFs, as a camera scan of film exported by another tool would be.
        WriteScan(dir["scans/positives/pos_01.jpg"], 1200, 800, 1);
        WriteScan(dir["scans/positives/pos_02.tif"], 1200, 800, 2);
        SampleDataset.WriteNegatives(dir["neg-src"], null, 900, 600);
        var asShot = new Pipeline(new Recipe { Export = new ExportOptions { Format = "tiff", BitDepth = 16, CopyMetadata = false } });
        Directory.CreateDirectory(dir["scans/negatives"]);
        foreach (var n in new[] { "neg_0001", "neg_0002" })
            asShot.Encode(asShot.Render(dir[$"neg-src/roll/{n}.dng"], DemosaicMode.Half), dir[$"scans/negatives/{n}.tif"]);

        await using var server = await Start(dir, dir["scans"]);
        var page = await chromium.OpenAsync(server);
        await Assertions.Expect(page.Locator(".file")).ToHaveCountAsync(4);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.file img').length === 4", null, new PageWaitForFunctionOptions { Timeout = 90_000 });

        // The folder dialog lists the scans as images; opening the positives shows them.
        await page.ClickAsync("#open-folder");
        await page.ClickAsync("#browse-list li:has-text('positives')");
        await Assertions.Expect(page.Locator("#browse-files")).ToContainTextAsync("2 image(s)");
        await RenderAfter(page, () => page.ClickAsync("#browse-open"));
        await Assertions.Expect(page.Locator(".file")).ToHaveCountAsync(2);
        await page.WaitForFunctionAsync("() => document.getElementById('status-line').textContent.endsWith('pos_01.jpg')");
        Assert.Equal("1200×800 of 1200×800", (await page.Locator("#render-info").InnerTextAsync()).Split(" · ")[0]);
        // Its tooltip names where the server's time went (review: it showed only the adjustments' part).
        Assert.Matches(@"of which the server \d+ ms \(.*decode \d+ ms", await page.Locator("#render-info").GetAttributeAsync("title"));
        // The preview shows the scan's own pixels (sRGB in, sRGB out, no adjustments): compared with ImageSharp's decode.
        var shown = await UiBrowserTests.PreviewGreens(page);
        var source = Pixels(dir["scans/positives/pos_01.jpg"]);
        double previewDiff = shown.Select((g, i) => Math.Abs(g - source[i * 5].G)).Average();
        log.WriteLine($"preview vs scan: mean |Δgreen| {previewDiff:0.00} codes over {shown.Length} samples");
        Assert.True(previewDiff < 2.5, $"preview differs from the scan by {previewDiff:0.00} codes");

        // Export: the outputs are the scans again (within JPEG tolerance).
        string output = dir["scans/positives/out"];
        await TestUi.ExportThroughPage(page, "jpg", output, 2);
        foreach (var name in new[] { "pos_01", "pos_02" })
        {
            var exported = Pixels(Path.Combine(output, name + ".jpg"));
            var original = Pixels(dir[$"scans/positives/{name}{(name == "pos_01" ? ".jpg" : ".tif")}"]);
            Assert.Equal(original.Length, exported.Length);
            double d = exported.Zip(original, (a, b) => (Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B)) / 3.0).Average();
            log.WriteLine($"{name}: exported vs scan mean |Δ| {d:0.00} codes");
            Assert.True(d < 2.5, $"{name}: the export differs from the scan by {d:0.00} codes");
        }
        await UiFixture.ScreenshotAsync(page, "ui-scans-positives");

        // The negatives: negative mode inverts the TIFF scans.
        (await TestToken.Client(server.Url).PostAsJsonAsync("/api/open", new { path = dir["scans/negatives"] })).EnsureSuccessStatusCode();
        var neg = await chromium.OpenAsync(server);
        await Assertions.Expect(neg.Locator(".file")).ToHaveCountAsync(2);
        // The positives' output folder is not offered for the negatives (a reloaded page filled in the last output
        // folder whatever folder was open, and Process would have written the negatives there).
        await Assertions.Expect(neg.Locator("#output")).ToHaveValueAsync(Path.Combine(dir["scans/negatives"], "processed"));
        var negative = await UiBrowserTests.PreviewGreens(neg);
        await neg.ClickAsync("summary:has-text('Film negative')");
        await RenderAfter(neg, () => neg.CheckAsync("#film-enabled"));
        var positive = await UiBrowserTests.PreviewGreens(neg);
        double r = Correlation(negative, positive);
        log.WriteLine($"negative TIFF scan: correlation of green before/after inversion {r:0.000}");
        Assert.True(r < -0.5, $"the inverted scan should follow the negative inversely (r = {r:0.000})");
        await UiFixture.ScreenshotAsync(neg, "ui-scans-negatives");
    }

    /// <summary>RGB (0–255) of the region [x, y, w, h] of the full-resolution image as the page shows it: from the
    /// loaded 1:1 tiles, or from the preview magnified to full resolution.</summary>
    private static async Task<int[]> ShownRegion(IPage page, string source, int x, int y, int w, int h) =>
        await page.EvaluateAsync<int[]>(@"([source, x, y, w, h]) => {
            const [fw, fh] = window.imagespace.fullSize;
            const c = document.createElement('canvas'); c.width = fw; c.height = fh;
            const ctx = c.getContext('2d');
            if (source === 'tiles')
                for (const t of document.querySelectorAll('#tiles img')) ctx.drawImage(t, parseFloat(t.style.left), parseFloat(t.style.top));
            else ctx.drawImage(document.getElementById('preview'), 0, 0, fw, fh);
            const d = ctx.getImageData(x, y, w, h).data, out = [];
            for (let i = 0; i < d.length; i += 4) out.push(d[i], d[i + 1], d[i + 2]);
            return out; }", new object[] { source, x, y, w, h });

    [SkippableFact]
    public async Task One_to_one_shows_the_exported_pixels_from_full_resolution_tiles_with_readout_bounded_pan_and_navigator()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        SyntheticDng.Write(dir["data/frame.dng"], new SceneParameters { Width = 1600, Height = 1064, PatchPitch = 70, RotationDeg = 8, Seed = 3 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        // Adjustments that look at neighbours (sharpen) and at the whole frame (shadows: a radius of the long side):
        // tiles rendered on their own would differ from the export.
        foreach (var (id, v) in new[] { ("#exposure", "0.5"), ("#sharpen", "120"), ("#shadows", "40") })
            await RenderAfter(page, () => page.Locator(id).FillAsync(v));
        await Assertions.Expect(page.Locator("#render-info")).ToContainTextAsync("800×532 of 1600×1064");

        await page.ClickAsync("#zoom-100");
        await Assertions.Expect(page.Locator("#zoom-readout")).ToHaveTextAsync("100 %");
        await page.WaitForFunctionAsync("() => window.imagespace.tilesLoaded > 0 && window.imagespace.tilesPending === 0", null, new PageWaitForFunctionOptions { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#navigator")).ToBeVisibleAsync();
        // The centre of the image is on screen at 1:1.
        const int X = 800 - 128, Y = 532 - 128, N = 256;
        var tiles = await ShownRegion(page, "tiles", X, Y, N, N);
        var magnified = await ShownRegion(page, "preview", X, Y, N, N);
        await UiFixture.ScreenshotAsync(page, "ui-one-to-one");

        string output = dir["data/out"];
        await TestUi.ExportThroughPage(page, "png", output, 1);
        var exported = Pixels(Path.Combine(output, "frame.png"));
        var region = new List<int>();
        for (int y = Y; y < Y + N; y++)
            for (int x = X; x < X + N; x++) { var p = exported[y * 1600 + x]; region.AddRange([p.R, p.G, p.B]); }
        double tileDiff = tiles.Zip(region, (a, b) => (double)Math.Abs(a - b)).Average();
        int tileMax = tiles.Zip(region, (a, b) => Math.Abs(a - b)).Max();
        double previewDiff = magnified.Zip(region, (a, b) => (double)Math.Abs(a - b)).Average();
        log.WriteLine($"1:1 tiles vs exported PNG: mean |Δ| {tileDiff:0.000}, max {tileMax} codes; half-size preview magnified: mean |Δ| {previewDiff:0.00}");
        Assert.True(tileDiff < 0.5 && tileMax <= 2, $"1:1 differs from the export: mean {tileDiff:0.000}, max {tileMax}");
        Assert.True(previewDiff > 4 * tileDiff + 0.5, "the magnified preview should differ from the export more than the tiles do");

        // Pan is bounded: dragging far right and down stops with the image's corner at the view's corner.
        var wrap = (await page.Locator("#stage-wrap").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(wrap.X + wrap.Width / 2, wrap.Y + wrap.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(wrap.X + wrap.Width / 2 + 3000, wrap.Y + wrap.Height / 2 + 3000, new MouseMoveOptions { Steps = 4 });
        await page.Mouse.UpAsync();
        var view = await page.EvaluateAsync<double[]>("() => [window.imagespace.view.x, window.imagespace.view.y]");
        Assert.Equal(0, view[0], 1);
        Assert.Equal(0, view[1], 1);
        Assert.Equal("0px", await page.Locator("#nav-rect").EvaluateAsync<string>("e => e.style.left"));
        // The navigator moves the view: a click at its bottom-right shows the image's bottom-right corner.
        var nav = (await page.Locator("#navigator").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(nav.X + nav.Width - 1, nav.Y + nav.Height - 1);
        view = await page.EvaluateAsync<double[]>("() => [window.imagespace.view.x, window.imagespace.view.y]");
        Assert.Equal(wrap.Width - 1600, view[0], 1);
        Assert.Equal(wrap.Height - 1064, view[1], 1);
        // Back to Fit: no tiles, no navigator.
        await page.ClickAsync("#fit");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#tiles img').length === 0");
        await Assertions.Expect(page.Locator("#navigator")).ToBeHiddenAsync();
        // Keys: 1 is 1:1, + zooms on (to 125 %).
        await page.Locator("#stage-wrap").HoverAsync();
        await page.Keyboard.PressAsync("1");
        await Assertions.Expect(page.Locator("#zoom-readout")).ToHaveTextAsync("100 %");
        await page.Keyboard.PressAsync("+");
        await Assertions.Expect(page.Locator("#zoom-readout")).ToHaveTextAsync("125 %");
    }

    /// <summary>f_1.dng and f_2.dng in <paramref name="folder"/>: two small chart-free frames.</summary>
    private static void TwoPlainFrames(string folder)
    {
        Directory.CreateDirectory(folder);
        for (int i = 1; i <= 2; i++)
            SyntheticDng.Write(Path.Combine(folder, $"f_{i}.dng"), new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = i });
    }

    /// <summary>The two frames several workflows start from: a_chart.dng (a chart, rotated 5°) and b_plain.dng.</summary>
    private static void ChartAndPlainFrames(string folder)
    {
        SyntheticDng.Write(Path.Combine(folder, "a_chart.dng"), new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, RotationDeg = 5, Seed = 4 });
        SyntheticDng.Write(Path.Combine(folder, "b_plain.dng"), new SceneParameters { Width = 900, Height = 600, HasChart = false, Seed = 5 });
    }

    [SkippableFact]
    public async Task Switching_images_leaves_nothing_of_the_previous_one_and_a_broken_file_shows_its_error_where_it_happened()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        ChartAndPlainFrames(dir["data"]);
        File.WriteAllText(dir["data/c_broken.dng"], "not a raw file");
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        int thumbRequests = 0;
        page.Request += (_, r) => { if (r.Url.Contains("/api/thumb")) Interlocked.Increment(ref thumbRequests); };

        // The broken file's thumbnail turns red with the reason, and the page stops asking for it.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.file img').length === 2 && document.querySelectorAll('.file .ph.failed').length === 1",
            null, new PageWaitForFunctionOptions { Timeout = 90_000 });
        Assert.Contains("c_broken.dng", await page.Locator(".file .ph.failed").GetAttributeAsync("title"));
        Assert.Equal("rgb(248, 81, 73)", await page.Locator(".file .ph.failed").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        int asked = thumbRequests;
        await page.WaitForTimeoutAsync(2000);
        Assert.Equal(asked, thumbRequests);

        // A chart result does not follow to the next image; neither does a chart error.
        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='b_plain.dng']"));
        await Assertions.Expect(page.Locator("#chart-status")).ToBeEmptyAsync();
        Assert.Equal(0, await page.Locator("#overlay text[data-patch]").CountAsync());
        Assert.Equal(0, await page.Locator(".swatch").CountAsync());
        Assert.True(await page.Locator("#chart-assign-group").IsDisabledAsync());
        await page.ClickAsync("#chart-detect");
        await page.WaitForFunctionAsync("() => { const t = document.getElementById('chart-status').textContent; return t.length > 0 && t !== 'detecting…'; }");
        string error = await page.Locator("#chart-status").InnerTextAsync();
        log.WriteLine($"detect on a frame without a chart: {error}");
        Assert.DoesNotContain("ΔE2000", error);
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='a_chart.dng']"));
        await Assertions.Expect(page.Locator("#chart-status")).ToBeEmptyAsync();

        // A file that cannot be decoded: the previous picture goes and the reason is on the viewer.
        await page.ClickAsync(".file[data-path$='c_broken.dng']");
        await Assertions.Expect(page.Locator("#view-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#view-error")).ToContainTextAsync("c_broken.dng");
        Assert.False(await page.EvaluateAsync<bool>("() => document.getElementById('preview').hasAttribute('src')"));
        Assert.Equal("", await page.Locator("#render-info").InnerTextAsync());
        await Assertions.Expect(page.Locator(".file.broken[data-path$='c_broken.dng']")).ToHaveCountAsync(1);
        // Nothing to measure on it: the chart buttons are off.
        foreach (var id in new[] { "#chart-detect", "#chart-crop", "#chart-manual", "#wb-pick" })
            await Assertions.Expect(page.Locator(id)).ToBeDisabledAsync();
        await UiFixture.ScreenshotAsync(page, "ui-broken-file");
        // And back: the picture returns, the error goes.
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='a_chart.dng']"));
        await Assertions.Expect(page.Locator("#view-error")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#chart-manual")).ToBeEnabledAsync();
        Assert.Equal(450, await page.EvaluateAsync<int>("() => document.getElementById('preview').naturalWidth"));
    }

    private static double MeanDiff(int[] a, int[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Average();

    [SkippableFact]
    public async Task The_next_image_is_prepared_while_the_user_looks_at_one_so_moving_down_finds_it_decoded()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        for (int i = 1; i <= 3; i++) SyntheticDng.Write(dir[$"data/f_{i}.dng"], new SceneParameters { Width = 900, Height = 600, HasChart = false, Seed = 20 + i });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        Assert.False(await page.EvaluateAsync<bool>("() => window.imagespace.lastFromCache"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!server.Session.HasBase(dir["data/f_2.dng"]) && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
        log.WriteLine($"f_2 prepared {sw.ElapsedMilliseconds} ms after f_1 was shown");
        Assert.True(server.Session.HasBase(dir["data/f_2.dng"]), "the next image was not prepared");
        Assert.False(server.Session.HasBase(dir["data/f_3.dng"]));
        await page.Locator(".file.selected").FocusAsync();
        await RenderAfter(page, () => page.Keyboard.PressAsync("ArrowDown"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.imagespace.lastFromCache"));
        await page.WaitForFunctionAsync("() => document.getElementById('status-line').textContent.endsWith('f_2.dng')");
    }

    [SkippableFact]
    public async Task Before_shows_the_file_as_shot_and_optionally_with_its_calibration_only()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        SyntheticDng.Write(dir["data/a_chart.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, RotationDeg = 5, Illuminant = "A", Seed = 4 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        var asShot = await UiBrowserTests.PreviewGreens(page); // nothing assigned, nothing adjusted yet
        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
        await RenderAfter(page, () => page.ClickAsync("#chart-assign-group"));
        var calibrated = await UiBrowserTests.PreviewGreens(page);
        await RenderAfter(page, () => page.Locator("#exposure").FillAsync("1"));
        var edited = await UiBrowserTests.PreviewGreens(page);
        log.WriteLine($"calibration changed green by {MeanDiff(asShot, calibrated):0.00}, +1 EV by {MeanDiff(calibrated, edited):0.00} codes");
        Assert.True(MeanDiff(asShot, calibrated) > 2 && MeanDiff(calibrated, edited) > 2);

        Assert.True(await page.Locator("#before-calibrated").IsDisabledAsync());
        await RenderAfter(page, () => page.CheckAsync("#before"));
        var before = await UiBrowserTests.PreviewGreens(page);
        log.WriteLine($"Before vs as shot {MeanDiff(before, asShot):0.00}, vs calibrated {MeanDiff(before, calibrated):0.00}");
        Assert.True(MeanDiff(before, asShot) < 0.5, "Before is the file as shot: no calibration, no adjustments");
        await RenderAfter(page, () => page.CheckAsync("#before-calibrated"));
        var calibrationOnly = await UiBrowserTests.PreviewGreens(page);
        Assert.True(MeanDiff(calibrationOnly, calibrated) < 0.5, "calibration only: the chart's correction without the adjustments");
        await UiFixture.ScreenshotAsync(page, "ui-before-calibrated");
        await RenderAfter(page, () => page.UncheckAsync("#before"));
        Assert.True(MeanDiff(await UiBrowserTests.PreviewGreens(page), edited) < 0.5);
        Assert.True(await page.Locator("#before-calibrated").IsDisabledAsync());
    }

    [SkippableFact]
    public async Task Groups_without_a_chart_get_a_visible_choice_and_Process_waits_for_it()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data/a"]);
        Directory.CreateDirectory(dir["data/b"]);
        SyntheticDng.Write(dir["data/a/a_chart.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, RotationDeg = 5, Seed = 4 });
        SyntheticDng.Write(dir["data/b/b_1.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 5 });
        SyntheticDng.Write(dir["data/b/b_2.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 6 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        // Nothing assigned: no choice to make, Process free.
        await Assertions.Expect(page.Locator("#fallback")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#process")).ToBeEnabledAsync();

        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
        await RenderAfter(page, () => page.ClickAsync("#chart-assign-group"));
        // Group a has its chart; group b (2 images) has none: the choice is shown with what it concerns, and Process
        // waits for it with the reason beside it, in the page's words.
        await Assertions.Expect(page.Locator("#fallback")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#fallback-label")).ToContainTextAsync("1 group(s) without a chart of their own (b; 2 image(s))");
        await Assertions.Expect(page.Locator("#process-warning")).ToContainTextAsync("1 group(s) have no chart of their own (b)");
        await Assertions.Expect(page.Locator("#process")).ToBeDisabledAsync();
        Assert.DoesNotContain("--", await page.Locator("#process-warning").InnerTextAsync());
        // No chart for all groups has been finalized: that option cannot be chosen.
        Assert.True(await page.Locator("#chart-fallback option[value=global]").IsDisabledAsync());
        await UiFixture.ScreenshotAsync(page, "ui-fallback-choice");

        await page.SelectOptionAsync("#chart-fallback", "none");
        await Assertions.Expect(page.Locator("#process-warning")).ToBeEmptyAsync();
        using var http = TestToken.Client(server.Url);
        var state = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/state")).RootElement;
        Assert.Equal("none", state.GetProperty("recipe").GetProperty("calibration").GetProperty("fallback").GetString());
        Assert.Empty(state.GetProperty("errors").EnumerateArray());
        string output = dir["data/out"];
        await TestUi.ExportThroughPage(page, "png", output, 3);
        Assert.Equal(3, Directory.GetFiles(output, "*.png", SearchOption.AllDirectories).Length);
    }

    /// <summary>Opens <paramref name="path"/> through the folder dialog, as a user does.</summary>
    private static async Task OpenFolder(IPage page, string path)
    {
        await page.ClickAsync("#open-folder");
        await page.EvaluateAsync("p => browse(p)", path);
        await Assertions.Expect(page.Locator("#browse-path")).ToHaveTextAsync(path);
        await page.ClickAsync("#browse-open");
        await page.WaitForFunctionAsync("p => window.imagespace.dataset && window.imagespace.dataset.root.replace(/\\/$/, '') === p", path);
    }

    [SkippableFact]
    public async Task Another_folder_starts_from_its_own_adjustments_charts_and_outputs_choice_and_gets_them_back()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data/one"]);
        Directory.CreateDirectory(dir["data/two"]);
        SyntheticDng.Write(dir["data/one/chart.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, RotationDeg = 5, Seed = 4 });
        SyntheticDng.Write(dir["data/two/plain.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 5 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        using var http = TestToken.Client(server.Url);
        async Task<System.Text.Json.JsonElement> Recipe() =>
            System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/state")).RootElement.GetProperty("recipe");

        await OpenFolder(page, dir["data/one"]);
        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("ΔE2000");
        await RenderAfter(page, () => page.ClickAsync("#chart-assign-global"));
        await RenderAfter(page, () => page.Locator("#denoise").FillAsync("20"));
        await page.SelectOptionAsync("#existing", "overwrite");
        await page.SelectOptionAsync("#format", "png");
        await page.WaitForFunctionAsync("() => !window.imagespace.syncing");
        // The page sends its edits a moment after the last one (longer on a busy machine): wait for the server's recipe.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && (await Recipe()) is var r &&
               (r.GetProperty("adjust").GetProperty("denoise").GetDouble() != 20 || !r.GetProperty("export").GetProperty("overwrite").GetBoolean()))
            await Task.Delay(100);
        Assert.Equal(20, (await Recipe()).GetProperty("adjust").GetProperty("denoise").GetDouble());
        Assert.True((await Recipe()).GetProperty("export").GetProperty("overwrite").GetBoolean());

        // Another folder: none of folder one's adjustments, chart or overwrite; the format (a preference) stays, said so.
        await OpenFolder(page, dir["data/two"]);
        await Assertions.Expect(page.Locator("#denoise-value")).ToHaveValueAsync("0");
        await Assertions.Expect(page.Locator("#existing")).ToHaveValueAsync("stop");
        await Assertions.Expect(page.Locator("#format")).ToHaveValueAsync("png");
        await Assertions.Expect(page.Locator("#export-kept")).ToContainTextAsync("PNG");
        Assert.DoesNotContain("null", await page.Locator("#export-kept").InnerTextAsync()); // review: "null-bit" for the default depth
        Assert.Matches(@"PNG[^,]*, \d+-bit", await page.Locator("#export-kept").InnerTextAsync());
        var two = await Recipe();
        Assert.Equal(0, two.GetProperty("adjust").GetProperty("denoise").GetDouble());
        Assert.False(two.GetProperty("export").GetProperty("overwrite").GetBoolean());
        Assert.Empty(two.GetProperty("calibration").GetProperty("charts").EnumerateArray());
        await Assertions.Expect(page.Locator("#assigned")).ToBeEmptyAsync();
        await UiFixture.ScreenshotAsync(page, "ui-folder-two");

        // Back to folder one: its denoise, its chart and its choice come back.
        await OpenFolder(page, dir["data/one"]);
        await Assertions.Expect(page.Locator("#denoise-value")).ToHaveValueAsync("20");
        await Assertions.Expect(page.Locator("#existing")).ToHaveValueAsync("overwrite");
        await Assertions.Expect(page.Locator("#assigned")).ToContainTextAsync("all groups");
        var one = await Recipe();
        Assert.Equal(20, one.GetProperty("adjust").GetProperty("denoise").GetDouble());
        Assert.Single(one.GetProperty("calibration").GetProperty("charts").EnumerateArray());
    }

    /// <summary>The Export panel's demosaic choice is the recipe's: the page's export is the CLI's with that
    /// demosaic, pixel for pixel, and the choice stays when another folder is opened (a preference, said so).</summary>
    [SkippableFact]
    public async Task The_demosaic_chosen_on_the_page_is_the_one_the_export_uses_and_stays_as_a_preference()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data/one"]);
        Directory.CreateDirectory(dir["data/two"]);
        SyntheticDng.Write(dir["data/one/a.dng"], new SceneParameters { Width = 600, Height = 400, PatchPitch = 30, HasChart = false, Seed = 6 });
        SyntheticDng.Write(dir["data/two/b.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 7 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        await OpenFolder(page, dir["data/one"]);
        await Assertions.Expect(page.Locator("#demosaic")).ToHaveValueAsync("Full");
        await page.SelectOptionAsync("#demosaic", "Lmmse");
        string output = dir["data/out"]; // within the folders the server was given
        await TestUi.ExportThroughPage(page, "png", output, 1);
        Assert.Equal("Lmmse", server.Session.Recipe.Decode.Demosaic.ToString());

        foreach (var mode in new[] { "lmmse", "full" })
            Assert.Equal(0, Cli.Run("process", dir["data/one/a.dng"], "-o", dir[$"out-{mode}"], "--format", "png", "--demosaic", mode).ExitCode);
        var page1 = Pixels(Path.Combine(output, "a.png"));
        var lmmse = Pixels(dir["out-lmmse/a.png"]);
        var rcd = Pixels(dir["out-full/a.png"]);
        int differFromLmmse = page1.Zip(lmmse, (a, b) => a.Equals(b) ? 0 : 1).Sum(), differFromRcd = page1.Zip(rcd, (a, b) => a.Equals(b) ? 0 : 1).Sum();
        log.WriteLine($"page export vs CLI: {differFromLmmse} pixels differ from --demosaic lmmse, {differFromRcd} from the default");
        Assert.Equal(0, differFromLmmse);
        Assert.True(differFromRcd > page1.Length / 100, "the LMMSE export should differ from the default's");

        await OpenFolder(page, dir["data/two"]);
        await Assertions.Expect(page.Locator("#demosaic")).ToHaveValueAsync("Lmmse");
        await Assertions.Expect(page.Locator("#export-kept")).ToContainTextAsync("LMMSE demosaic");
    }

    [SkippableFact]
    public async Task A_folder_where_no_file_can_be_opened_clears_the_viewer_says_why_and_turns_the_image_buttons_off()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data/good"]);
        Directory.CreateDirectory(dir["data/links"]);
        Directory.CreateDirectory(dir["outside"]);
        SyntheticDng.Write(dir["data/good/frame.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, Seed = 4 });
        // Files that are links to outside the opened folders: the server refuses each, with its reason.
        for (int i = 1; i <= 3; i++)
        {
            SyntheticDng.Write(dir[$"outside/f{i}.dng"], new SceneParameters { Width = 300, Height = 200, HasChart = false, Seed = i });
            File.CreateSymbolicLink(dir[$"data/links/a_very_long_file_name_that_does_not_fit_in_the_sidebar_{i}.dng"], dir[$"outside/f{i}.dng"]);
        }
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        await OpenFolder(page, dir["data/good"]);
        await page.WaitForFunctionAsync("() => window.imagespace.renders > 0 && document.getElementById('render-info').textContent !== ''");

        await OpenFolder(page, dir["data/links"]);
        await Assertions.Expect(page.Locator("#empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#empty")).ToContainTextAsync("none of the 3 file(s) in this folder can be opened");
        Assert.Null(await page.Locator("#preview").GetAttributeAsync("src"));
        await Assertions.Expect(page.Locator("#render-info")).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#zoom-readout")).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#status-line")).Not.ToContainTextAsync("frame.dng");
        await Assertions.Expect(page.Locator("#status-line")).ToContainTextAsync("can be opened");
        // The histogram is blank (no pixel of the previous picture counted).
        Assert.Equal(0, await page.EvaluateAsync<int>("() => { const c = document.getElementById('histogram'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0 ? 1 : 0; return n; }"));
        foreach (var id in new[] { "#chart-detect", "#chart-crop", "#chart-manual", "#wb-pick", "#process" })
            await Assertions.Expect(page.Locator(id)).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("No image");
        await Assertions.Expect(page.Locator("#process-warning")).ToContainTextAsync("No image to process");
        // The reasons are where the files would be, wrapped inside the sidebar.
        await Assertions.Expect(page.Locator("#dataset-errors > div")).ToHaveCountAsync(3);
        Assert.True(await page.EvaluateAsync<bool>("() => { const f = document.getElementById('files'), e = document.getElementById('dataset-errors'); return e.scrollWidth <= e.clientWidth + 1 && f.scrollWidth <= f.clientWidth + 1; }"),
            "the error list runs off the side of the sidebar");
        await UiFixture.ScreenshotAsync(page, "ui-folder-nothing-opens");

        // And back to a folder with images: the buttons work again.
        await OpenFolder(page, dir["data/good"]);
        await Assertions.Expect(page.Locator("#chart-detect")).ToBeEnabledAsync();
        await Assertions.Expect(page.Locator("#empty")).ToBeHiddenAsync();
    }

    [SkippableFact]
    public async Task A_typed_value_beyond_the_sliders_range_is_shown_as_applied_and_one_beyond_the_limits_is_clamped_with_a_message()
    {
        using var dir = new TempDir();
        TwoPlainFrames(dir["data"]);
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        using var http = TestToken.Client(server.Url);
        async Task<System.Text.Json.JsonElement> Adjust() =>
            System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/state")).RootElement.GetProperty("recipe").GetProperty("adjust");

        // 6 EV: beyond the slider's ±4 but inside the recipe's ±10: applied, and the box says 6 once it loses focus.
        await page.FillAsync("#exposure-value", "6");
        await RenderAfter(page, () => page.PressAsync("#exposure-value", "Enter"));
        await Assertions.Expect(page.Locator("#exposure-value")).ToHaveValueAsync("6 EV");
        Assert.Equal(6, (await Adjust()).GetProperty("exposureEv").GetDouble());
        await Assertions.Expect(page.Locator("#exposure-value")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("beyond"));
        await page.ClickAsync("#histogram"); // focus elsewhere
        await Assertions.Expect(page.Locator("#exposure-value")).ToHaveValueAsync("6 EV");
        // 99 EV: beyond the recipe's limit: clamped to 10 with a message saying so, and 10 shown.
        await page.FillAsync("#exposure-value", "99");
        await RenderAfter(page, () => page.PressAsync("#exposure-value", "Enter"));
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("99 is outside -10 to 10; 10 applied");
        await Assertions.Expect(page.Locator("#exposure-value")).ToHaveValueAsync("10 EV");
        Assert.Equal(10, (await Adjust()).GetProperty("exposureEv").GetDouble());

        // Kelvin typed beyond its slider (12000 K) stays applied when the tint slider is then moved.
        await page.SelectOptionAsync("#wb-mode", "kelvin");
        await page.FillAsync("#kelvin-value", "15000");
        await RenderAfter(page, () => page.PressAsync("#kelvin-value", "Enter"));
        await RenderAfter(page, () => page.Locator("#tint").FillAsync("10"));
        Assert.Equal("15000,10", (await Adjust()).GetProperty("whiteBalance").GetString());
        await Assertions.Expect(page.Locator("#kelvin-value")).ToHaveValueAsync("15000 K");
    }

    [SkippableFact]
    public async Task Keep_them_do_the_rest_reports_the_kept_outputs_as_kept_not_done()
    {
        using var dir = new TempDir();
        TwoPlainFrames(dir["data"]);
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        string output = dir["data/out"];
        await TestUi.ExportThroughPage(page, "png", output, 2);
        var outputs = Directory.GetFiles(output, "*.png", SearchOption.AllDirectories).Order().ToArray();
        Assert.Equal(2, outputs.Length);
        await page.WaitForTimeoutAsync(1100); // a later write would show as a newer time (file times have 1 s steps on some file systems)
        File.Delete(outputs[1]);
        var keptTime = File.GetLastWriteTimeUtc(outputs[0]);

        // One output there, one missing: the first is kept, the second written, and the page says which is which.
        await page.SelectOptionAsync("#existing", "skip");
        await Assertions.Expect(page.Locator("#conflicts")).ToContainTextAsync("1 output(s) already exist");
        await page.ClickAsync("#process");
        await Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("2 / 2 (1 written, 1 kept: already there) — done", new LocatorAssertionsToContainTextOptions { Timeout = 120_000 });
        Assert.Equal(keptTime, File.GetLastWriteTimeUtc(outputs[0]));
        Assert.True(File.Exists(outputs[1]));
        await Assertions.Expect(page.Locator(".file.skipped")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".file.done")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".file.skipped .name")).ToContainTextAsync("f_1");

        // All there: nothing written, and nothing claims to be done.
        await page.ClickAsync("#process");
        await Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("2 / 2 (2 kept: already there) — nothing written: every output was already there", new LocatorAssertionsToContainTextOptions { Timeout = 120_000 });
        await Assertions.Expect(page.Locator(".file.skipped")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".file.done")).ToHaveCountAsync(0);
        await UiFixture.ScreenshotAsync(page, "ui-kept-outputs");
    }

    [SkippableFact]
    public async Task Readout_report_labels_file_names_symbols_and_steps_read_whole_after_plain_Detect()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data/turntable_A"]);
        SyntheticDng.Write(dir["data/turntable_A/objA_0001.dng"], new SceneParameters { Width = 900, Height = 600, PatchPitch = 50, RotationDeg = 5, Seed = 4 });
        SyntheticDng.Write(dir["data/turntable_A/objA_0002.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 5 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server, 1000, 800);

        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#delta-e-chart")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
        // Plain Detect: no flattened view, so the step bar is at Finalize, not Flatten.
        await Assertions.Expect(page.Locator("#chart-steps li[data-step=finalize]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("current"));
        await Assertions.Expect(page.Locator("#chart-steps li[data-step=flatten]")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("current"));
        // The 24 patch numbers under the ΔE bars: no two overlap.
        int overlaps = await page.EvaluateAsync<int>(@"() => {
            const r = [...document.querySelectorAll('#delta-e-chart text.axis')].filter(t => t.getAttribute('text-anchor') === 'middle').map(t => t.getBoundingClientRect());
            let n = 0;
            for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
              if (r[i].left < r[j].right && r[j].left < r[i].right && r[i].top < r[j].bottom && r[j].top < r[i].bottom) n++;
            return r.length === 24 ? n : -1; }");
        Assert.Equal(0, overlaps);
        // File names wrap between their parts ("objA_" / "0001.dng"), never inside one: each part's text lies on one line.
        var broken = await page.EvaluateAsync<string[]>(@"() => [...document.querySelectorAll('.file .name')].flatMap(n => [...n.childNodes]
            .filter(c => c.nodeType === 3).filter(c => { const r = document.createRange(); r.selectNodeContents(c); return new Set([...r.getClientRects()].map(q => Math.round(q.top))).size > 1; })
            .map(c => c.textContent))");
        Assert.Empty(broken);
        Assert.Equal("turntable_A/objA_0001.dng", await page.Locator(".file .name").First.InnerTextAsync().ContinueWith(t => t.Result.Replace("\n", "")));
        // The toolbar's readout, cut or not, is whole in its tooltip.
        await Assertions.Expect(page.Locator("#render-info")).Not.ToBeEmptyAsync();
        string readout = await page.Locator("#render-info").InnerTextAsync(), title = (await page.Locator("#render-info").GetAttributeAsync("title"))!;
        Assert.StartsWith(readout, title);
        // Symbols drawn by text or CSS, not emoji (no emoji font here): the folder dialog's entries are the names alone.
        await page.ClickAsync("#open-folder");
        await page.EvaluateAsync("p => browse(p)", dir["data"]);
        await Assertions.Expect(page.Locator("#browse-list button.folder")).ToHaveTextAsync("turntable_A");
        var texts = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#browse-list button, .file, #chart-steps li')].map(e => e.textContent + getComputedStyle(e, '::before').content)");
        Assert.All(texts, t => Assert.DoesNotMatch(@"\p{Cs}", t)); // emoji lie beyond the BMP: surrogate pairs in UTF-16
        await UiFixture.ScreenshotAsync(page, "ui-cosmetic-1000");
    }

    [SkippableFact]
    public async Task Home_and_End_move_in_the_list_undo_names_the_image_it_changes_and_an_error_toast_goes_with_its_image()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        for (int i = 1; i <= 3; i++)
            SyntheticDng.Write(dir[$"data/f_{i}.dng"], new SceneParameters { Width = 400, Height = 300, HasChart = false, Seed = i });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        await page.Locator(".file.selected").FocusAsync();
        await RenderAfter(page, () => page.Keyboard.PressAsync("End"));
        await Assertions.Expect(page.Locator(".file.selected")).ToHaveAttributeAsync("data-path", new System.Text.RegularExpressions.Regex("f_3.dng$"));
        await RenderAfter(page, () => page.Locator("#exposure").FillAsync("1"));
        await page.Locator(".file.selected").FocusAsync();
        await RenderAfter(page, () => page.Keyboard.PressAsync("Home"));
        await Assertions.Expect(page.Locator(".file.selected")).ToHaveAttributeAsync("data-path", new System.Text.RegularExpressions.Regex("f_1.dng$"));
        // Undo on f_1 takes back the change made on f_3 (all images' exposure), and says where it was made.
        await RenderAfter(page, () => page.Keyboard.PressAsync("Control+z"));
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("made on f_3.dng");
        await Assertions.Expect(page.Locator("#exposure-value")).ToHaveValueAsync("0 EV");
        // An error about one image does not stay over the next one.
        await page.EvaluateAsync("() => toast('400', true)");
        await Assertions.Expect(page.Locator("#toast.show.error")).ToHaveCountAsync(1);
        await page.Locator(".file.selected").FocusAsync();
        await RenderAfter(page, () => page.Keyboard.PressAsync("ArrowDown"));
        await Assertions.Expect(page.Locator("#toast.show")).ToHaveCountAsync(0);
    }

    /// <summary>Median linear ratio of mid-tone greens between two previews (2 for +1 EV).</summary>
    private static double LinearRatio(int[] from, int[] to)
    {
        var r = from.Zip(to).Select(p => (a: TransferFunction.Srgb.Decode(p.First / 255.0), b: TransferFunction.Srgb.Decode(p.Second / 255.0)))
            .Where(p => p.a is > 0.05 and < 0.35).Select(p => p.b / p.a).Order().ToArray();
        return r[r.Length / 2];
    }

    [SkippableFact]
    public async Task One_image_gets_its_own_adjustments_copied_pasted_undone_reset_and_typed_and_the_project_keeps_them()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        SyntheticDng.Write(dir["data/a_1.dng"], new SceneParameters { Width = 900, Height = 600, HasChart = false, Seed = 7 });
        SyntheticDng.Write(dir["data/a_2.dng"], new SceneParameters { Width = 900, Height = 600, HasChart = false, Seed = 8 });
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        var first0 = await UiBrowserTests.PreviewGreens(page);

        // Image 1 on its own, +1 EV typed into the value box.
        await page.CheckAsync("#adjust-own");
        await Assertions.Expect(page.Locator("#adjust-scope")).ToHaveTextAsync("for a_1.dng only");
        await RenderAfter(page, async () => { await page.FillAsync("#exposure-value", "1"); await page.PressAsync("#exposure-value", "Enter"); });
        await Assertions.Expect(page.Locator("#exposure-value")).ToHaveValueAsync("1 EV");
        double typed = LinearRatio(first0, await UiBrowserTests.PreviewGreens(page));
        log.WriteLine($"typed +1 EV on image 1: linear ratio {typed:0.000}");
        Assert.InRange(typed, 1.92, 2.08);
        await Assertions.Expect(page.Locator(".file.own")).ToHaveCountAsync(1);

        // Image 2 follows the adjustments of all images: nothing.
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='a_2.dng']"));
        Assert.Equal("0", await page.Locator("#exposure").InputValueAsync());
        Assert.False(await page.Locator("#adjust-own").IsCheckedAsync());
        var second0 = await UiBrowserTests.PreviewGreens(page);

        // Copy from image 1, paste on image 2: it gets +1 EV of its own.
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='a_1.dng']"));
        Assert.Equal("1", await page.Locator("#exposure").InputValueAsync());
        await page.ClickAsync("#adjust-copy");
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='a_2.dng']"));
        await RenderAfter(page, () => page.ClickAsync("#adjust-paste"));
        Assert.True(await page.Locator("#adjust-own").IsCheckedAsync());
        double pasted = LinearRatio(second0, await UiBrowserTests.PreviewGreens(page));
        log.WriteLine($"pasted on image 2: linear ratio {pasted:0.000}");
        Assert.InRange(pasted, 1.92, 2.08);

        // Ctrl+Z takes the paste back.
        await RenderAfter(page, () => page.Keyboard.PressAsync("Control+z"));
        Assert.False(await page.Locator("#adjust-own").IsCheckedAsync());
        Assert.True(MeanDiff(second0, await UiBrowserTests.PreviewGreens(page)) < 0.5);
        await Assertions.Expect(page.Locator(".file.own")).ToHaveCountAsync(1);

        // Double-click resets a slider; a typed value beyond the slider's range is kept exactly.
        await RenderAfter(page, () => page.ClickAsync(".file[data-path$='a_1.dng']"));
        await RenderAfter(page, () => page.DblClickAsync("#exposure"));
        Assert.Equal("0", await page.Locator("#exposure").InputValueAsync());
        Assert.True(MeanDiff(first0, await UiBrowserTests.PreviewGreens(page)) < 0.5);
        await RenderAfter(page, async () => { await page.FillAsync("#shadows-value", "25"); await page.PressAsync("#shadows-value", "Enter"); });
        await UiFixture.ScreenshotAsync(page, "ui-own-adjustments");

        // The project keeps image 1's own adjustments; the export renders them.
        await page.FillAsync("#project-path", dir["data/project.json"]);
        await page.ClickAsync("#project-save");
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("project saved");
        var saved = Recipe.FromJson(System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir["data/project.json"])).RootElement.GetProperty("recipe").GetRawText());
        var own = Assert.Single(saved.Adjust.Images);
        Assert.Equal("a_1.dng", own.Key);
        Assert.Equal(25, own.Value.Shadows);
        Assert.Equal(0, saved.Adjust.Shadows);
    }

    [Fact]
    public void An_image_with_its_own_adjustments_renders_as_a_recipe_with_them_for_all_and_the_others_do_not()
    {
        using var dir = new TempDir();
        SyntheticDng.Write(dir["a.dng"], new SceneParameters { Width = 300, Height = 200, HasChart = false, Seed = 1 });
        SyntheticDng.Write(dir["b.dng"], new SceneParameters { Width = 300, Height = 200, HasChart = false, Seed = 2 });
        var mine = new Core.Adjust.AdjustOptions { ExposureEv = 0.7, Shadows = 30, WhiteBalance = "4000,5" };
        var recipe = new Recipe { Adjust = new Core.Adjust.AdjustOptions { Images = new() { ["a.dng"] = mine } } };
        using var a = new Pipeline(recipe).Render(dir["a.dng"], DemosaicMode.Half);
        using var aAlone = new Pipeline(new Recipe { Adjust = mine }).Render(dir["a.dng"], DemosaicMode.Half);
        using var b = new Pipeline(recipe).Render(dir["b.dng"], DemosaicMode.Half);
        using var bPlain = new Pipeline(new Recipe()).Render(dir["b.dng"], DemosaicMode.Half);
        Assert.Equal(aAlone.Image.G.AsSpan(0, aAlone.Image.PixelCount).ToArray(), a.Image.G.AsSpan(0, a.Image.PixelCount).ToArray());
        Assert.Equal(bPlain.Image.G.AsSpan(0, bPlain.Image.PixelCount).ToArray(), b.Image.G.AsSpan(0, b.Image.PixelCount).ToArray());
        Assert.NotEqual(bPlain.Image.G[5000], a.Image.G[5000]);
        // An image's own adjustments are checked like the recipe's.
        var bad = recipe with { Adjust = new Core.Adjust.AdjustOptions { Images = new() { ["a.dng"] = new() { Shadows = 500 } } } };
        Assert.Contains("shadows", Assert.Throws<ArgumentException>(bad.Validate).Message);
    }

    [SkippableFact]
    public async Task Layout_keyboard_and_words_process_in_view_list_and_dialog_by_keyboard_readable_report()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data/set"]);
        ChartAndPlainFrames(dir["data/set"]);
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server, 1600, 1000);

        // Process is on screen at 1600×1000 without scrolling; the toolbar is one line, a mode hint included.
        var process = (await page.Locator("#process").BoundingBoxAsync())!;
        log.WriteLine($"Process at y {process.Y:0}–{process.Y + process.Height:0} of 1000");
        Assert.True(process.Y >= 0 && process.Y + process.Height <= 1000, $"Process at y {process.Y}");
        Assert.Equal(0, await page.EvaluateAsync<int>("() => document.getElementById('panel').scrollTop + document.scrollingElement.scrollTop"));
        double toolbar = (await page.Locator("#toolbar").BoundingBoxAsync())!.Height;
        await page.ClickAsync("#chart-manual");
        await Assertions.Expect(page.Locator("#mode-hint")).ToBeVisibleAsync();
        Assert.Equal(toolbar, (await page.Locator("#toolbar").BoundingBoxAsync())!.Height);
        Assert.True(toolbar < 40, $"toolbar {toolbar} px high");
        await page.Keyboard.PressAsync("Escape");

        // The report: axis labels of at least 9 px, and swatch numbers with a WCAG contrast of at least 4.5 on every patch.
        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#delta-e-chart")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
        double smallest = await page.EvaluateAsync<double>("() => Math.min(...[...document.querySelectorAll('#delta-e-chart text.axis')].map(t => t.getBoundingClientRect().height))");
        log.WriteLine($"smallest report label: {smallest:0.0} px");
        Assert.True(smallest >= 9, $"report labels {smallest:0.0} px high");
        double contrast = await page.EvaluateAsync<double>(@"() => {
            const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
            const rgba = (s) => s.match(/[\d.]+/g).map(Number);
            let worst = 99;
            for (const sw of document.querySelectorAll('.swatch')) {
              const b = sw.querySelector('b'), st = getComputedStyle(b);
              const [pr, pg, pb, pa = 1] = rgba(st.backgroundColor), text = rgba(st.color).slice(0, 3);
              for (const half of [sw.children[0], sw.children[1]]) {
                const under = rgba(getComputedStyle(half).backgroundColor);
                const bg = [0, 1, 2].map(i => [pr, pg, pb][i] * pa + under[i] * (1 - pa));
                const [l1, l2] = [lum(text), lum(bg)].sort((x, y) => y - x);
                worst = Math.min(worst, (l1 + 0.05) / (l2 + 0.05));
              }
            }
            return worst; }");
        log.WriteLine($"lowest swatch-number contrast: {contrast:0.0}:1");
        Assert.True(contrast >= 4.5, $"swatch numbers at {contrast:0.0}:1");
        await UiFixture.ScreenshotAsync(page, "ui-layout-1600");

        // The list is one tab stop; ↓ moves from it, ↓ on a slider moves the slider only.
        await page.ClickAsync(".file[data-path$='a_chart.dng']");
        await RenderAfter(page, () => page.Keyboard.PressAsync("ArrowDown"));
        Assert.EndsWith("b_plain.dng", await page.EvaluateAsync<string>("() => document.activeElement.dataset.path"));
        Assert.Equal("true", await page.Locator(".file[data-path$='b_plain.dng']").GetAttributeAsync("aria-selected"));
        await page.FocusAsync("#exposure");
        await RenderAfter(page, () => page.Keyboard.PressAsync("ArrowUp"));
        Assert.EndsWith("b_plain.dng", await page.Locator(".file.selected").GetAttributeAsync("data-path") ?? "");
        Assert.True(double.Parse(await page.Locator("#exposure").InputValueAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0);

        // The folder dialog by keyboard: Tab reaches a folder, Enter opens it.
        await page.ClickAsync("#open-folder");
        await Assertions.Expect(page.Locator("#browse-path")).ToHaveTextAsync(dir["data"]);
        for (int i = 0; i < 8 && !await page.EvaluateAsync<bool>("() => document.activeElement.classList.contains('folder')"); i++) await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#browse-path")).ToHaveTextAsync(dir["data/set"]);
        await page.Keyboard.PressAsync("Escape");

        // At 1000 px the viewer keeps most of the width.
        var narrow = await chromium.OpenAsync(server, 1000, 800);
        double viewer = (await narrow.Locator("#stage-wrap").BoundingBoxAsync())!.Width;
        log.WriteLine($"viewer at 1000 px: {viewer:0} px");
        Assert.True(viewer >= 500, $"viewer {viewer} px wide at 1000 px");
        var process2 = (await narrow.Locator("#process").BoundingBoxAsync())!;
        Assert.True(process2.Y + process2.Height <= 800);
        await UiFixture.ScreenshotAsync(narrow, "ui-layout-1000");

        // A batch's errors are in the page's words: an existing output names the choice to make, not a CLI flag.
        string output = dir["data/out"];
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "a_chart.tif"), "already here");
        (await TestToken.Client(server.Url).PutAsJsonAsync("/api/recipe", new Recipe { Naming = new NamingOptions { Schema = "[o][e]" } }, Recipe.Json)).EnsureSuccessStatusCode();
        var job = server.Session.StartBatch(output);
        await TestUi.BatchFinished(server);
        var failed = job.Since(0, TimeSpan.Zero).Where(e => e.Error is not null).ToList();
        var line = Assert.Single(failed).Error!;
        log.WriteLine(line);
        Assert.DoesNotContain("--", line);
        Assert.Contains("If outputs exist", line);
    }

    /// <summary>A stand-in coordinator answering GET /api/workers and /api/batches in the farm's shapes (FarmRecords'
    /// WorkerInfo; the coordinator's batch summary), with the token checked; worker w1 finishes an image per look.
    /// A wrong token is answered 401 after a second, so a test can change the token while a look is in flight;
    /// <c>calls</c> counts every request, <c>looks</c> the times of the accepted worker lists.</summary>
    private static async Task<(Microsoft.AspNetCore.Builder.WebApplication app, string url, Func<int> calls, Func<DateTime[]> looks)> StubCoordinator(string token)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        int calls = 0;
        var looks = new System.Collections.Concurrent.ConcurrentQueue<DateTime>();
        app.Use(async (ctx, next) =>
        {
            Interlocked.Increment(ref calls);
            if (ctx.Request.Headers["X-ImageSpace-Token"] != token) { await Task.Delay(1000); ctx.Response.StatusCode = 401; return; }
            await next();
        });
        app.MapGet("/api/workers", () =>
        {
            looks.Enqueue(DateTime.UtcNow);
            int n = looks.Count;
            return Results.Json(new object[]
            {
                new { name = "w1", host = "render-1", pid = 11, threads = 4, busy = 2, budgetMb = 8000, freeMemoryMb = 12000, done = 40 + n, heartbeatUtc = DateTime.UtcNow.AddSeconds(-2), queues = new[] { "default" } },
                new { name = "w2", host = "render-2", pid = 12, threads = 2, busy = 0, budgetMb = 4000, freeMemoryMb = 6000, done = 9, heartbeatUtc = DateTime.UtcNow.AddMinutes(-2), queues = new[] { "default" } },
            });
        });
        app.MapGet("/api/batches", () => Results.Json(new object[]
        {
            new { id = "b-old", created = DateTime.UtcNow.AddHours(-1), inputRoot = "/in", outputRoot = "/out", total = 5, queued = 0, running = 0, retrying = 0, done = 5, failed = 0, cancelled = 0, finished = true, imagesPerMinute = 3.0 },
            new { id = "b-now", created = DateTime.UtcNow.AddMinutes(-3), inputRoot = "/in", outputRoot = "/out", total = 10, queued = 1, running = 2, retrying = 0, done = 6, failed = 1, cancelled = 0, finished = false, imagesPerMinute = 12.5 },
        }));
        await app.StartAsync();
        return (app, app.Urls.First(), () => Volatile.Read(ref calls), () => looks.ToArray());
    }

    [SkippableFact]
    public async Task The_farm_panel_shows_the_coordinators_workers_their_state_and_throughput_and_the_batch_progress()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        SyntheticDng.Write(dir["data/a.dng"], new SceneParameters { Width = 300, Height = 200, HasChart = false, Seed = 1 });
        var (farm, url, calls, looks) = await StubCoordinator("farm-secret");
        await using var _ = farm;
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);
        await Assertions.Expect(page.Locator("#farm-panel")).ToBeHiddenAsync();
        await page.FillAsync("#farm-url", url);
        await page.FillAsync("#farm-token", "wrong");
        // The token changes while the first look (started by the address) waits for its answer: that look must not
        // start a second chain of looks next to the one the change starts.
        for (var until = DateTime.UtcNow.AddSeconds(10); calls() == 0 && DateTime.UtcNow < until;) await Task.Delay(20);
        Assert.InRange(calls(), 1, 2); // (2 only if this thread stalled past the first answer: no race then, the gaps still count)
        await page.Locator("#farm-token").DispatchEventAsync("change");
        await Assertions.Expect(page.Locator("#farm-error")).ToContainTextAsync("refused the token", new LocatorAssertionsToContainTextOptions { Timeout = 20_000 });
        await page.FillAsync("#farm-token", "farm-secret");
        await page.Locator("#farm-token").DispatchEventAsync("change");
        await Assertions.Expect(page.Locator("#farm-panel")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#farm-workers tr[data-worker='w1'] .state")).ToHaveTextAsync("busy 2/4", new LocatorAssertionsToHaveTextOptions { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#farm-workers tr[data-worker='w2'] .state")).ToContainTextAsync("silent");
        await Assertions.Expect(page.Locator("#farm-batch")).ToContainTextAsync("batch b-now: 7 / 10 (1 failed), 2 running, 1 queued · 12.5 images/min");
        Assert.Equal(7, await page.EvaluateAsync<int>("() => document.getElementById('farm-progress').value"));
        // A second look gives w1's throughput (one image per look, looks 2 s apart: ~30 a minute).
        await Assertions.Expect(page.Locator("#farm-workers tr[data-worker='w1'] .rate")).ToContainTextAsync("/min", new LocatorAssertionsToContainTextOptions { Timeout = 20_000 });
        string rate = await page.Locator("#farm-workers tr[data-worker='w1'] .rate").InnerTextAsync();
        for (var until = DateTime.UtcNow.AddSeconds(20); looks().Length < 3 && DateTime.UtcNow < until;) await Task.Delay(50);
        var times = looks();
        var gaps = times.Zip(times.Skip(1), (a, b) => (b - a).TotalSeconds).ToArray();
        log.WriteLine($"w1: {rate}; summary: {await page.Locator("#farm-summary").InnerTextAsync()}; gaps between looks {string.Join(", ", gaps.Select(g => g.ToString("F2")))} s");
        Assert.True(gaps.Length >= 2, $"only {times.Length} looks");
        Assert.All(gaps, g => Assert.True(g >= 1.9, $"looks {g:F2} s apart: more than one chain of looks is running"));
        Assert.InRange(double.Parse(rate.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture), 5, 31.5);
        await Assertions.Expect(page.Locator("#farm-summary")).ToContainTextAsync("1 worker(s)");
        await page.Locator("#farm-panel").ScrollIntoViewIfNeededAsync();
        await UiFixture.ScreenshotAsync(page, "ui-farm-panel");
    }

    internal static double Correlation(int[] a, int[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }
}
