using System.Globalization;
using System.Text.Json;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Synthetic;
using ImageSpace.Web;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>The original tool's chart flow in Chromium: crop box → corners (with the magnifier) → flatten →
/// finalize, on synthetic frames whose chart corners are known.</summary>
public class UiChartFlowTests(ChromiumFixture chromium, ITestOutputHelper log) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => chromium.Pages.CloseAllAsync();

    private static Task<UiServer.Running> Start(TempDir dir, string folder) =>
        UiServer.StartAsync(new UiOptions { Folders = [folder], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });

    private static double MeanDeltaE(string status) =>
        double.Parse(System.Text.RegularExpressions.Regex.Match(status, @"mean ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static Task<double[][]> Corners(IPage page) => page.EvaluateAsync<double[][]>("() => window.imagespace.chart.corners");

    private static double Distance(double[] a, (double x, double y) b) => Math.Sqrt((a[0] - b.x) * (a[0] - b.x) + (a[1] - b.y) * (a[1] - b.y));

    /// <summary>Drags on the stage from image point a to image point b (full-resolution pixels).</summary>
    private static async Task DragOnImage(IPage page, double[] a, double[] b)
    {
        var s = await UiBrowserTests.ToScreen(page, a[0], a[1]);
        var e = await UiBrowserTests.ToScreen(page, b[0], b[1]);
        await page.Mouse.MoveAsync((float)s[0], (float)s[1]);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)e[0], (float)e[1], new MouseMoveOptions { Steps = 5 });
        await page.Mouse.UpAsync();
    }

    private static async Task WaitForChart(IPage page) =>
        await page.WaitForFunctionAsync("() => window.imagespace.chartBusy === 0 && document.getElementById('chart-status').textContent.includes('ΔE2000')",
            null, new PageWaitForFunctionOptions { Timeout = 120_000 });

    /// <summary>The truth's box around the chart grid, widened by <paramref name="margin"/> pixels: [x0, y0], [x1, y1].</summary>
    private static double[][] BoxAround(double[][] t, double margin) =>
        [[t.Min(c => c[0]) - margin, t.Min(c => c[1]) - margin], [t.Max(c => c[0]) + margin, t.Max(c => c[1]) + margin]];

    [SkippableFact]
    public async Task A_small_chart_in_a_large_frame_that_whole_frame_detection_misses_is_found_inside_the_crop_box()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        // 4800 × 3200 with a chart 12 px per patch (120 × 80 px, 0.06 % of the frame): the half-size decode that
        // measurement uses leaves 6 px patches in a 2400 px frame.
        var scene = SyntheticDng.Write(dir["data/frame.dng"], new SceneParameters { Width = 4800, Height = 3200, PatchPitch = 12, RotationDeg = 6, CenterX = 0.78, CenterY = 0.3, Seed = 11 });
        var truth = scene.Chart!.Corners;
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);

        await page.ClickAsync("#chart-detect");
        await Assertions.Expect(page.Locator("#chart-status")).ToContainTextAsync("no chart found", new LocatorAssertionsToContainTextOptions { Timeout = 120_000 });
        log.WriteLine("whole frame: " + await page.Locator("#chart-status").InnerTextAsync());

        await page.ClickAsync("#chart-crop");
        await Assertions.Expect(page.Locator("#mode-hint")).ToContainTextAsync("box around the chart");
        await Assertions.Expect(page.Locator("#chart-steps li[data-step=crop]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("current"));
        var box = BoxAround(truth, 80);
        await DragOnImage(page, box[0], box[1]);
        await WaitForChart(page);
        string status = await page.Locator("#chart-status").InnerTextAsync();
        log.WriteLine("crop box: " + status);
        var corners = await Corners(page);
        for (int i = 0; i < 4; i++)
        {
            double d = Distance(corners[i], (truth[i][0], truth[i][1]));
            log.WriteLine($"corner {i}: found ({corners[i][0]:0.0}, {corners[i][1]:0.0}), truth ({truth[i][0]:0.0}, {truth[i][1]:0.0}), {d:0.0} px");
            Assert.True(d < 3, $"corner {i} is {d:0.0} px from the truth");
        }
        Assert.True(MeanDeltaE(status) < 3, status);
        // The box stays drawn; the corners are draggable; the flattened chart is shown: steps 1–3 done.
        Assert.Equal(1, await page.Locator("#overlay rect.cropbox").CountAsync());
        Assert.Equal(4, await page.Locator("#overlay circle.corner").CountAsync());
        await Assertions.Expect(page.Locator("#flatten-view")).ToBeVisibleAsync();
        foreach (var step in new[] { "crop", "corners", "flatten" })
            await Assertions.Expect(page.Locator($"#chart-steps li[data-step={step}]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("done"));
        await UiFixture.ScreenshotAsync(page, "ui-chart-crop-box");
    }

    [SkippableFact]
    public async Task The_magnifier_shows_the_exported_pixels_corners_moved_on_the_flattened_chart_change_the_fit_and_finalize_assigns()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        var scene = SyntheticDng.Write(dir["data/frame.dng"], new SceneParameters { Width = 1600, Height = 1064, PatchPitch = 70, RotationDeg = 8, Seed = 3 });
        var truth = scene.Chart!.Corners;
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);

        // Step 1 with the magnifier: over a corner of the chart (patch 6's: a light patch, the black gap, the
        // surround) it shows the full-resolution pixels around it.
        await page.ClickAsync("#chart-crop");
        var at = await UiBrowserTests.ToScreen(page, truth[1][0], truth[1][1]);
        await page.Mouse.MoveAsync((float)at[0], (float)at[1]);
        await page.WaitForFunctionAsync("() => window.imagespace.loupe && window.imagespace.loupe.ready", null, new PageWaitForFunctionOptions { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#loupe")).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "ui-chart-magnifier");
        // Each loupe cell's centre, except the cross-hair's row and column: [x, y, r, g, b] in full-resolution pixels,
        // then r, g, b of the same pixel in the (half-size) preview magnified to full resolution.
        var cells = await page.EvaluateAsync<int[][]>(@"() => {
            const L = window.imagespace.loupe, c = document.getElementById('loupe');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, out = [];
            const [fw, fh] = window.imagespace.fullSize, pc = document.createElement('canvas'); pc.width = fw; pc.height = fh;
            const pctx = pc.getContext('2d'); pctx.drawImage(document.getElementById('preview'), 0, 0, fw, fh);
            const pd = pctx.getImageData(L.x0, L.y0, L.n, L.n).data;
            const cx = Math.floor(L.point[0]) - L.x0, cy = Math.floor(L.point[1]) - L.y0;
            for (let j = 0; j < L.n; j++) for (let i = 0; i < L.n; i++) {
              if (i === cx || j === cy) continue;
              const k = ((j * L.zoom + (L.zoom >> 1)) * c.width + i * L.zoom + (L.zoom >> 1)) * 4, q = (j * L.n + i) * 4;
              out.push([L.x0 + i, L.y0 + j, d[k], d[k + 1], d[k + 2], pd[q], pd[q + 1], pd[q + 2]]);
            }
            return out; }");
        Assert.True(cells.Length >= 300, $"{cells.Length} loupe cells");

        string output = dir["data/out"];
        await TestUi.ExportThroughPage(page, "png", output, 1);
        using (var exported = Image.Load<Rgb24>(Path.Combine(output, "frame.png")))
        {
            var diffs = cells.SelectMany(c => { var p = exported[c[0], c[1]]; return new[] { Math.Abs(c[2] - p.R), Math.Abs(c[3] - p.G), Math.Abs(c[4] - p.B) }; }).ToArray();
            // The region is not flat: it holds the chart's edge (black gap, patch, surround).
            double spread = cells.Max(c => c[3]) - cells.Min(c => c[3]);
            double previewDiff = cells.SelectMany(c => { var p = exported[c[0], c[1]]; return new[] { Math.Abs(c[5] - p.R), Math.Abs(c[6] - p.G), Math.Abs(c[7] - p.B) }; }).Average();
            log.WriteLine($"loupe vs exported PNG over {cells.Length} pixels: mean |Δ| {diffs.Average():0.000}, max {diffs.Max()} codes; " +
                $"the preview magnified there: mean |Δ| {previewDiff:0.00}; green spread in the loupe {spread}");
            Assert.True(spread > 60, $"the loupe should show the chart's corner (green spread {spread})");
            Assert.True(previewDiff > 4 * diffs.Average() + 0.5, "the magnified preview should differ from the export more than the loupe does");
            Assert.True(diffs.Average() < 0.5 && diffs.Max() <= 2, $"the loupe differs from the export: mean {diffs.Average():0.000}, max {diffs.Max()}");
        }

        // Steps 1–3: the box, the corners found inside it, the flattened chart.
        var box = BoxAround(truth, 40);
        await DragOnImage(page, box[0], box[1]);
        await WaitForChart(page);
        double m0 = MeanDeltaE(await page.Locator("#chart-status").InnerTextAsync());
        var found = await Corners(page);
        Assert.True(Distance(found[0], (truth[0][0], truth[0][1])) < 3, "corner 0 found inside the box");
        await Assertions.Expect(page.Locator("#flatten-view")).ToBeVisibleAsync();
        Assert.Equal(24, await page.Locator("#flatten-grid rect.sample").CountAsync());

        // The chart's own homography (from the truth corners) says where a corner moved on the flattened chart lands.
        var truthH = Homography.FromPoints(Core.Charts.ChartModel.Corners.Select(c => (c.u, c.v)).ToArray(), truth.Select(c => (c[0], c[1])).ToArray());
        async Task MoveHandle(double du, double dv)
        {
            await page.Locator("#flatten-view").ScrollIntoViewIfNeededAsync();
            var grid = (await page.Locator("#flatten-grid").BoundingBoxAsync())!;
            var handle = (await page.Locator("#flatten-grid circle.handle[data-index='0']").BoundingBoxAsync())!;
            double perPitch = grid.Width / 6;
            float hx = (float)(handle.X + handle.Width / 2), hy = (float)(handle.Y + handle.Height / 2);
            await page.Mouse.MoveAsync(hx, hy);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(hx + (float)(du * perPitch), hy + (float)(dv * perPitch), new MouseMoveOptions { Steps = 4 });
            await page.Mouse.UpAsync();
            // The release starts the measurement at once (chartBusy is raised before the handler returns).
            await WaitForChart(page);
            await page.WaitForFunctionAsync("() => window.imagespace.chart.flattened === true");
        }
        // 0.6 pitch inwards on the flattened chart: corner 0 moves 0.6 pitch into the chart in the image, patch 1's
        // sampled square slides ~0.5 pitch (past its patch's edge, 0.41 from the centre) and the fit gets worse.
        // (A smaller move keeps the square inside the uniform synthetic patch: the same colour, the same fit.)
        await MoveHandle(0.6, 0.6);
        string worse = await page.Locator("#chart-status").InnerTextAsync();
        double m1 = MeanDeltaE(worse);
        var moved = await Corners(page);
        var expected = truthH.Map(0.6, 0.6);
        log.WriteLine($"moved on the flattened chart: corner 0 at ({moved[0][0]:0.0}, {moved[0][1]:0.0}), expected ({expected.x:0.0}, {expected.y:0.0}); ΔE {m0:0.00} → {m1:0.00} ({worse})");
        Assert.True(Distance(moved[0], expected) < 4, $"corner 0 is {Distance(moved[0], expected):0.0} px from where the move on the flattened chart puts it");
        Assert.True(m1 > m0 + 0.3, $"moving a corner off the chart's grid should worsen the fit: ΔE {m0:0.00} → {m1:0.00}");
        await UiFixture.ScreenshotAsync(page, "ui-chart-flatten-moved");
        // Finalizing this poor fit asks first; declined, nothing is assigned.
        using var http = TestToken.Client(server.Url);
        Assert.Contains("poor fit", worse);
        string? asked = null;
        void Decline(object? _, IDialog d) { asked = d.Message; _ = d.DismissAsync(); }
        page.Dialog += Decline;
        await page.ClickAsync("#chart-assign-group");
        await Assertions.Expect(page.Locator("#toast")).ToContainTextAsync("not assigned");
        page.Dialog -= Decline;
        log.WriteLine("asked: " + asked);
        Assert.NotNull(asked);
        Assert.Empty(JsonDocument.Parse(await http.GetStringAsync("/api/state")).RootElement.GetProperty("calibrations").EnumerateObject());
        // And back, on the image: the corner dragged to the chart's corner with the magnifier beside it; the fit returns.
        var from = await UiBrowserTests.ToScreen(page, moved[0][0], moved[0][1]);
        var to = await UiBrowserTests.ToScreen(page, truth[0][0], truth[0][1]);
        await page.Mouse.MoveAsync((float)from[0], (float)from[1]);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)to[0], (float)to[1], new MouseMoveOptions { Steps = 5 });
        await page.WaitForFunctionAsync("() => window.imagespace.loupe && window.imagespace.loupe.ready && !document.getElementById('loupe').hidden");
        await UiFixture.ScreenshotAsync(page, "ui-chart-corner-drag-magnifier");
        await page.Mouse.UpAsync();
        await WaitForChart(page);
        double m2 = MeanDeltaE(await page.Locator("#chart-status").InnerTextAsync());
        var back = await Corners(page);
        double off = Distance(back[0], (truth[0][0], truth[0][1]));
        log.WriteLine($"dragged back: corner 0 at ({back[0][0]:0.0}, {back[0][1]:0.0}), {off:0.0} px from the truth, ΔE {m2:0.00}");
        Assert.True(off < 3, $"corner 0 is {off:0.0} px from the chart's corner");
        Assert.True(Math.Abs(m2 - m0) < 0.3, $"ΔE back at {m2:0.00}, first {m0:0.00}");

        // Step 4, finalize: the chart calibrates every group, with the fit shown.
        await page.ClickAsync("#chart-assign-global");
        await Assertions.Expect(page.Locator("#chart-steps li[data-step=finalize]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("done"));
        var state = JsonDocument.Parse(await http.GetStringAsync("/api/state")).RootElement;
        var cal = state.GetProperty("calibrations").GetProperty("");
        double assigned = cal.GetProperty("deltaE").GetProperty("mean").GetDouble();
        log.WriteLine($"finalized: {cal.GetProperty("source").GetString()}, ΔE {assigned:0.00}, {cal.GetProperty("quality").GetProperty("grade").GetString()}");
        Assert.Equal(m2, assigned, 1);
        Assert.Equal("good", cal.GetProperty("quality").GetProperty("grade").GetString());
        await Assertions.Expect(page.Locator("#assigned")).ToContainTextAsync("all groups");
        await UiFixture.ScreenshotAsync(page, "ui-chart-finalized");
    }

    [SkippableFact]
    public async Task A_corner_dragged_on_the_image_right_after_the_crop_box_ends_on_release_and_is_refitted()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["data"]);
        var scene = SyntheticDng.Write(dir["data/frame.dng"], new SceneParameters { Width = 1600, Height = 1064, PatchPitch = 70, RotationDeg = 8, Seed = 5 });
        var truth = scene.Chart!.Corners;
        await using var server = await Start(dir, dir["data"]);
        var page = await chromium.OpenAsync(server);

        // As a user does: the file picked in the list, then the box dragged round the chart.
        await page.Locator(".file").First.ClickAsync();
        await page.ClickAsync("#chart-crop");
        var box = BoxAround(truth, 40);
        await DragOnImage(page, box[0], box[1]);
        await WaitForChart(page);
        double m0 = MeanDeltaE(await page.Locator("#chart-status").InnerTextAsync());
        int measured = await page.EvaluateAsync<int>("() => window.imagespace.chartMeasured");

        // Straight away (no other click between), corner 0 dragged 0.5 pitch into the chart on the image.
        var c0 = (await Corners(page))[0];
        double[] target = [c0[0] + 0.5 * (truth[2][0] - truth[0][0]) / 6, c0[1] + 0.5 * (truth[2][1] - truth[0][1]) / 4];
        var from = await UiBrowserTests.ToScreen(page, c0[0], c0[1]);
        var to = await UiBrowserTests.ToScreen(page, target[0], target[1]);
        await page.Mouse.MoveAsync((float)from[0], (float)from[1]);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)to[0], (float)to[1], new MouseMoveOptions { Steps = 8 });
        await page.Mouse.UpAsync();
        // The release refits (a new measurement), hides the magnifier, and the corner stays where it was let go.
        await page.WaitForFunctionAsync($"() => window.imagespace.chartMeasured > {measured} && window.imagespace.chartBusy === 0",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        await WaitForChart(page);
        await Assertions.Expect(page.Locator("#loupe")).ToBeHiddenAsync();
        var released = await Corners(page);
        var nearest = released.Min(c => Distance(c, (target[0], target[1])));
        log.WriteLine($"corner let go at ({target[0]:0.0}, {target[1]:0.0}); nearest corner after the refit {nearest:0.0} px away");
        Assert.True(nearest < 3, $"no corner where corner 0 was let go (nearest {nearest:0.0} px)");
        double m1 = MeanDeltaE(await page.Locator("#chart-status").InnerTextAsync());
        Assert.True(m1 > m0 + 0.3, $"the moved corner should be refitted (worse): ΔE {m0:0.00} → {m1:0.00}");
        // With the button up, moving the pointer moves nothing.
        await page.Mouse.MoveAsync((float)to[0] + 120, (float)to[1] + 90, new MouseMoveOptions { Steps = 5 });
        var after = await Corners(page);
        for (int i = 0; i < 4; i++) Assert.True(Distance(after[i], (released[i][0], released[i][1])) < 0.01, $"corner {i} followed the pointer after the release");
        await Assertions.Expect(page.Locator("#loupe")).ToBeHiddenAsync();
    }
}
