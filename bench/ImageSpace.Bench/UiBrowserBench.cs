using ImageSpace.Core.Synthetic;
using ImageSpace.Web;
using Microsoft.Playwright;

namespace ImageSpace.Bench;

/// <summary>`ui` (second table): what the user waits for, measured in Chromium from the input event to the new
/// picture loaded on the page (the page's own render counter), on three synthetic 24 MP DNGs (6000×4000; ../shared/data
/// has no 24 MP RAW). Goals (issue 16): every slider ≤ 150 ms, denoise ≤ 250 ms, switching images ≤ 300 ms.</summary>
public static class UiBrowserBench
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Warm = 3, Measured = 12;

    /// <summary>Sets a control as the user would (value + its event) and times until the page shows the new picture.</summary>
    private const string Moves = @"async ([id, values, kind]) => {
        const app = window.imagespace, times = [];
        const shown = (n) => new Promise(res => { const tick = () => (app.renders > n && !app.syncing) ? res() : requestAnimationFrame(tick); tick(); });
        for (const v of values) {
            const n = app.renders, t0 = performance.now();
            const e = kind === 'row' ? document.querySelector(`.file[data-path$='${v}']`) : document.getElementById(id);
            if (kind === 'row') e.click();
            else if (kind === 'check') { e.checked = v; e.dispatchEvent(new Event('change')); }
            else { e.value = v; e.dispatchEvent(new Event(kind)); }
            await shown(n);
            times.push(performance.now() - t0);
        }
        return times; }";

    public static int Run()
    {
        if (!File.Exists(Chromium)) { Console.WriteLine($"browser table skipped: {Chromium} is not installed"); return 0; }
        using var tmp = new Program.TempFolder();
        string data = Path.Combine(tmp.Path, "data");
        Directory.CreateDirectory(data);
        var files = new[] { "frame_1.dng", "frame_2.dng", "frame_3.dng" };
        Console.WriteLine("Writing three synthetic 6000x4000 DNGs ...");
        for (int i = 0; i < files.Length; i++)
            SyntheticDng.Write(Path.Combine(data, files[i]), new SceneParameters { Width = 6000, Height = 4000, PatchPitch = 300, RotationDeg = 10 + i, HasChart = i == 0, Seed = 40 + i });
        return RunAsync(tmp.Path, data, files).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string tmp, string data, string[] files)
    {
        await using var server = await UiServer.StartAsync(new UiOptions { Folders = [data], SettingsPath = Path.Combine(tmp, "ui.json"), ThumbCacheDir = Path.Combine(tmp, "thumbs") });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        page.SetDefaultTimeout(180_000);
        var open = System.Diagnostics.Stopwatch.StartNew();
        await page.GotoAsync(server.Url);
        await page.WaitForFunctionAsync("() => window.imagespace.renders > 0 && !window.imagespace.syncing");
        Console.WriteLine($"page open to first picture: {open.ElapsedMilliseconds} ms");
        // The thumbnails decode every file in the background: measured after they are done, as a user would work.
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('.file img').length === {files.Length}");

        var rows = new List<(string name, double median, double p90, double goal)>();
        async Task Case(string name, string id, Func<int, object> value, string kind, double goal, int warm = Warm, int measured = Measured)
        {
            var values = Enumerable.Range(0, warm + measured).Select(value).ToArray();
            var times = (await page.EvaluateAsync<double[]>(Moves, new object[] { id, values, kind })).Skip(warm).Order().ToArray();
            rows.Add((name, times[times.Length / 2], times[(int)Math.Ceiling(times.Length * 0.9) - 1], goal));
        }
        async Task Set(string id, object value, string kind) => await page.EvaluateAsync(Moves, new object[] { id, new[] { value }, kind });

        // A file not decoded yet (half size, reduced, developed): frame 3, while the page prepared frame 2 (the next one
        // in the list) in the background; then frame 2, prepared while the user looked at frame 3. One sample each.
        await Case("switch image, not decoded yet (1 sample)", "", _ => files[2], "row", 300, warm: 0, measured: 1);
        await Task.Delay(1500);
        await Case("switch to an image prepared meanwhile (1 sample)", "", _ => files[1], "row", 300, warm: 0, measured: 1);
        await Case("exposure slider", "exposure", i => (0.1 * (1 + i % 6)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), "input", 150);
        await Case("shadows slider", "shadows", i => 10 + 5 * (i % 6), "input", 150);
        await Case("sharpen slider", "sharpen", i => 40 + 10 * (i % 6), "input", 150);
        await Set("sharpen", 0, "input");
        await Set("shadows", 0, "input");
        await Set("wb-mode", "kelvin", "change");
        await Case("white balance: Kelvin slider", "kelvin", i => 4000 + 250 * (i % 8), "input", 150);
        await Case("white balance: tint slider", "tint", i => -10 + 3 * (i % 7), "input", 150);
        await Set("wb-mode", "asshot", "change");
        await Case("denoise", "denoise", i => 40 + 5 * (i % 4), "input", 250);
        await Set("denoise", 0, "input");
        await Set("film-enabled", true, "check");
        await Case("film exposure slider (negative mode)", "film-ev", i => (0.1 * (1 + i % 6)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), "input", 150);
        await Set("film-enabled", false, "check");
        // Switching: the two other frames in turn (their bases are cached after the first visit, as in a session).
        await Case("switch image (revisit)", "", i => files[1 + i % 2], "row", 300);

        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        Console.WriteLine();
        Console.WriteLine($"browser: input → new picture on the page, 24 MP RAW, preview {1200} px; medians of {Measured} after {Warm} warm-up moves");
        Console.WriteLine($"{Environment.ProcessorCount} cores shared with other engineers' builds (load average {load} now): absolute times, compare runs with care");
        Console.WriteLine($"{"case",-50} {"median",8} {"p90",8} {"goal",7}  ratio to goal");
        foreach (var (name, median, p90, goal) in rows)
            Console.WriteLine($"{name,-50} {median,5:0} ms {p90,5:0} ms {goal,4:0} ms  {median / goal:0.00}");
        return 0;
    }
}
