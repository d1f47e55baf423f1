using System.Diagnostics;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>Finds the team's shared third-party data: IMAGESPACE_TEST_DATA, else ../shared/data beside the repo.</summary>
public static class TestData
{
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("IMAGESPACE_TEST_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "..", "shared", "data");
            if (Directory.Exists(candidate) && d.GetDirectories(".git").Length + d.GetFiles(".git").Length > 0)
                return Path.GetFullPath(candidate);
        }
        return null;
    }

    public const string MissingReason = "shared test data not found (set IMAGESPACE_TEST_DATA or put shared/data beside the repository)";

    public static string File(string relative)
    {
        Skip.If(Root is null, MissingReason);
        var p = Path.Combine(Root!, relative);
        Skip.IfNot(System.IO.File.Exists(p), $"{relative} is not in the shared test data");
        return p;
    }
}

/// <summary>Signal state of a process, from /proc.</summary>
public static class Signals
{
    /// <summary>Whether process <paramref name="pid"/> ("self" for this one) ignores SIGINT: a shell's background job
    /// (`cmd &`) starts so, and passes it on to what it runs.</summary>
    public static bool SigintIgnored(string pid = "self")
    {
        string mask = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:"))?[7..].Trim() ?? "0";
        return (Convert.ToUInt64(mask, 16) & 2) != 0;
    }

    public const string SigintIgnoredHere = "SIGINT is ignored in this process (started as a background job), so its children cannot get it";
}

/// <summary>A temporary folder deleted when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("imagespace-test-").FullName;
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

/// <summary>Runs the real `imagespace` program (built next to the tests) as a user would.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunWithEnv(null, args);

    public static Result RunWithEnv(IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(System.IO.Path.Combine(AppContext.BaseDirectory, "imagespace.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException("imagespace did not finish"); }
        return new Result(p.ExitCode, stdout, err.Result);
    }
}

public static class Patches
{
    /// <summary>Mean working-space RGB of a square of half-size <paramref name="halfFraction"/> × pitch around each
    /// true patch centre (well inside the patch for any rotation), in an image scaled by <paramref name="scale"/>.</summary>
    public static Vec3[] Sample(RgbImage img, ChartTruth truth, double scale = 1, double halfFraction = 0.2)
    {
        int half = Math.Max(1, (int)(truth.PatchPitchPx * scale * halfFraction));
        return truth.PatchCenters.Select(c =>
        {
            int x = (int)Math.Round(c[0] * scale), y = (int)Math.Round(c[1] * scale);
            var (r, g, b) = img.MeanOf(x - half, y - half, 2 * half + 1, 2 * half + 1);
            return new Vec3(r, g, b);
        }).ToArray();
    }

    /// <summary>ΔE2000 of each decoded patch against the scene's truth, exposure scale known from the render.</summary>
    public static double[] DeltaE(Vec3[] workingRgb, RenderedScene scene) =>
        workingRgb.Select((rgb, i) =>
        {
            var xyz = (1.0 / scene.DecodedWhiteY) * (WorkingSpace.ToXyzD50 * rgb);
            return ImageSpace.Core.Color.DeltaE.Ciede2000Xyz(xyz, scene.PatchXyzD50[i], WhitePoints.D50);
        }).ToArray();
}

/// <summary>Compares output folders by content.</summary>
public static class FileTree
{
    /// <summary>Every file under <paramref name="root"/> by relative path → SHA-256.</summary>
    public static SortedDictionary<string, string> Hashes(string root) =>
        new(Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => System.IO.Path.GetRelativePath(root, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))),
            StringComparer.Ordinal);
}

/// <summary>The servers want a token on every request (IMAGESPACE_TOKEN or the user's token file). The tests set one
/// for the whole run, so in-process servers, spawned CLI processes and the test's own clients agree.</summary>
public static class TestToken
{
    public static readonly string Value = Environment.GetEnvironmentVariable("IMAGESPACE_TOKEN") is { Length: > 0 } t ? t : "test-" + Guid.NewGuid().ToString("N");

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Set() => Environment.SetEnvironmentVariable("IMAGESPACE_TOKEN", Value);

    /// <summary>An HttpClient that sends the token (as `process --farm` and the page do).</summary>
    public static HttpClient Client(string? baseUrl = null)
    {
        var http = new HttpClient();
        if (baseUrl is not null) http.BaseAddress = new Uri(baseUrl);
        http.DefaultRequestHeaders.Add("X-ImageSpace-Token", Value);
        return http;
    }
}

/// <summary>A UI server for HTTP tests: rooted at the test's temporary folder (datasets and outputs below it), its
/// settings and thumbnails kept there too.</summary>
public static class TestUi
{
    /// <summary>Browser assertions wait up to 30 s instead of Playwright's 5: the suite runs on 2 shared cores, where a
    /// server answer the page waits for can take seconds (a wait ends as soon as the page shows the value).</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void PatientAssertions() => Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(30_000);

    public static Task<ImageSpace.Web.UiServer.Running> StartAsync(TempDir dir) =>
        ImageSpace.Web.UiServer.StartAsync(new ImageSpace.Web.UiOptions { Folders = [dir.Path], SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });

    /// <summary>Waits (at most 3 minutes) for the batch the page started to finish.</summary>
    public static async Task BatchFinished(ImageSpace.Web.UiServer.Running server)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (server.Session.Job is not { Finished: true } && sw.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(100);
    }

    /// <summary>Exports through the page as a user does: format, output folder, the expected number of output names
    /// shown, Process, and the progress reading "done" (at most 3 minutes).</summary>
    public static async Task ExportThroughPage(Microsoft.Playwright.IPage page, string format, string output, int names)
    {
        await page.SelectOptionAsync("#format", format);
        await page.FillAsync("#output", output);
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#name-preview li")).ToHaveCountAsync(names);
        await page.ClickAsync("#process");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("done",
            new Microsoft.Playwright.LocatorAssertionsToContainTextOptions { Timeout = 180_000 });
    }
}

/// <summary>A second local account, for the tests that act as another user (they run as root). Made once per test run:
/// the tests that need it run in parallel, and on a fresh machine two useradd calls at once made one fail.</summary>
public static class OtherUser
{
    public const string Name = "imagespace-other";

    private static readonly Lazy<bool> Made = new(Make);

    public static void Ensure() => Assert.True(Made.Value, $"could not create the local user {Name}");

    private static bool Make()
    {
        if (Quiet("id", "-u", Name) == 0) return true;
        int code = Quiet("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", Name);
        return code == 0 || Quiet("id", "-u", Name) == 0;
    }

    private static int Quiet(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
