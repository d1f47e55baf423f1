using System.Diagnostics;
using System.Net.Http.Json;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>One project, one result: the same dataset and recipe through `imagespace process`, through the UI's HTTP
/// API as the page drives it, and through a farm (real PostgreSQL, two worker processes) give byte-identical files
/// with the same names. Positives: two groups, each with its chart frame; negatives: a roll with a chart frame.</summary>
[Collection("farm")]
public class PlanEquivalenceTests(ITestOutputHelper log)
{
    private static readonly string[] Jpeg = ["--format", "jpg", "--quality", "92"];
    private static readonly string[] Adjusted = ["--format", "tiff", "--wb", "4300,5", "--denoise", "30", "--sharpen", "80", "--mask-clipped"];

    [SkippableFact]
    public async Task Cli_ui_and_farm_write_byte_identical_files()
    {
        Skip.If(LocalPostgres.FindBin() is null, "PostgreSQL is not installed (apt postgresql); .ci/run installs it");
        using var dir = new TempDir();
        SampleDataset.Write(dir["pos"], null, 600, 400);
        SampleDataset.WriteNegatives(dir["neg"], null, 900, 600);
        foreach (var truth in Directory.GetFiles(dir.Path, "truth.json", SearchOption.AllDirectories)) File.Delete(truth);
        string chartA = dir["pos/turntable_A/objA_0001.dng"], chartB = dir["pos/turntable_B/objB_0001.dng"], chartN = dir["neg/roll/neg_0001.dng"];

        var runs = new (string name, string data, string[] flags, string[] charts, bool film)[]
        {
            ("positives", dir["pos"], Jpeg, [chartA, chartB], false),
            ("adjusted", dir["pos"], Adjusted, [chartA, chartB], false),
            ("negatives", dir["neg"], Jpeg, [chartN], true),
        };
        // (a) the CLI
        foreach (var r in runs)
        {
            var args = new List<string> { "process", r.data, "-o", dir[$"cli/{r.name}"] };
            args.AddRange(r.flags);
            foreach (var c in r.charts) args.AddRange(["--chart", c]);
            if (r.film) args.Add("--negative");
            var res = Cli.Run([.. args]);
            Assert.True(res.ExitCode == 0, res.Stderr);
        }
        // (b) the UI's HTTP API, as the page does it: open, set the recipe, assign the charts, lock the roll, export.
        foreach (var r in runs) await ThroughUi(dir, r.name, r.data, r.flags, r.charts, r.film);
        // (c) a farm: a coordinator and two workers on PostgreSQL, submitted with process --farm.
        await ThroughFarm(dir, runs.Select(r => (r.name, r.data, r.flags, r.charts, r.film)).ToList());

        foreach (var r in runs)
        {
            var cli = FileTree.Hashes(dir[$"cli/{r.name}"]);
            Assert.True(cli.Count >= (r.film ? 3 : 5), $"{r.name}: {cli.Count} files");
            log.WriteLine($"{r.name}: {cli.Count} files, e.g. {cli.Keys.First()} {cli.Values.First()[..12]}");
            Assert.Equal(cli, FileTree.Hashes(dir[$"ui/{r.name}"]));
            Assert.Equal(cli, FileTree.Hashes(dir[$"farm/{r.name}"]));
        }
    }

    private async Task ThroughUi(TempDir dir, string name, string data, string[] flags, string[] charts, bool film)
    {
        // The temp folder is the root the UI may read and write in; the dataset is a folder below it.
        await using var server = await TestUi.StartAsync(dir);
        using var http = TestToken.Client(server.Url);
        (await http.PostAsJsonAsync("/api/open", new { path = data })).EnsureSuccessStatusCode();
        var recipe = RecipeOf(flags) with { Film = new Core.Film.FilmOptions { Enabled = film } };
        (await http.PutAsJsonAsync("/api/recipe", recipe, Recipe.Json)).EnsureSuccessStatusCode();
        foreach (var c in charts) (await http.PostAsJsonAsync("/api/chart/assign", new { file = c, corners = (double[]?)null, global = false })).EnsureSuccessStatusCode();
        if (film) (await http.PostAsJsonAsync("/api/film/lock", new { })).EnsureSuccessStatusCode();
        var started = await http.PostAsJsonAsync("/api/process", new { path = dir[$"ui/{name}"] });
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        await TestUi.BatchFinished(server);
        Assert.Empty(server.Session.Job!.Result!.Failures);
    }

    /// <summary>The recipe the CLI builds from these flags (recipe init + flags), as the page would set it.</summary>
    private static Recipe RecipeOf(string[] flags)
    {
        var r = new Recipe();
        string Value(string flag) => flags[Array.IndexOf(flags, flag) + 1];
        r = r with { Export = r.Export with { Format = Value("--format") } };
        if (flags.Contains("--quality")) r = r with { Export = r.Export with { Quality = int.Parse(Value("--quality")) } };
        if (flags.Contains("--wb")) r = r with { Adjust = r.Adjust with { WhiteBalance = Value("--wb") } };
        if (flags.Contains("--denoise")) r = r with { Adjust = r.Adjust with { Denoise = double.Parse(Value("--denoise")) } };
        if (flags.Contains("--sharpen")) r = r with { Adjust = r.Adjust with { Sharpen = double.Parse(Value("--sharpen")) } };
        if (flags.Contains("--mask-clipped")) r = r with { Adjust = r.Adjust with { MaskClipped = true } };
        return r;
    }

    private async Task ThroughFarm(TempDir dir, List<(string name, string data, string[] flags, string[] charts, bool film)> runs)
    {
        using var pg = new LocalPostgres();
        var output = new List<string>();
        var procs = new List<Process>();
        int port = LocalPostgres.FreePort();
        string url = $"http://127.0.0.1:{port}";
        try
        {
            procs.Add(FarmClusterTests.Start("coordinator", output, "farm", "serve", "--db", pg.ConnectionString, "--listen", $"127.0.0.1:{port}",
                "--input-root", dir.Path, "--output-root", dir.Path));
            procs.Add(FarmClusterTests.Start("w1", output, "farm", "worker", "--db", pg.ConnectionString, "--threads", "1", "--name", "w1"));
            procs.Add(FarmClusterTests.Start("w2", output, "farm", "worker", "--db", pg.ConnectionString, "--threads", "1", "--name", "w2"));
            using var http = TestToken.Client();
            for (int i = 0; i < 150; i++)
            {
                try { if ((await http.GetAsync($"{url}/api/workers")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
                await Task.Delay(200);
            }
            foreach (var r in runs)
            {
                var args = new List<string> { "process", r.data, "-o", dir[$"farm/{r.name}"], "--farm", url };
                args.AddRange(r.flags);
                foreach (var c in r.charts) args.AddRange(["--chart", c]);
                if (r.film) args.Add("--negative");
                var res = Cli.Run([.. args]);
                Assert.True(res.ExitCode == 0, res.Stderr + string.Join("\n", output));
            }
            var workers = output.Where(l => l.StartsWith("[w", StringComparison.Ordinal)).ToList();
            log.WriteLine(string.Join("\n", workers.Take(10)));
        }
        finally
        {
            foreach (var p in procs) { try { p.Kill(true); } catch (InvalidOperationException) { } p.WaitForExit(5000); p.Dispose(); }
        }
    }
}
