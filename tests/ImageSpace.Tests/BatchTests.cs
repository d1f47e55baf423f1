using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

public class BatchTests
{
    private static void Shoot(string path, int seed = 1)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SyntheticDng.Write(path, new SceneParameters { Width = 320, Height = 240, HasChart = false, Noise = 0.5, Seed = seed });
    }

    private static string[] Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).Order().ToArray();

    [Fact]
    public void Skip_existing_keeps_complete_outputs_and_redoes_partial_ones()
    {
        using var dir = new TempDir();
        for (int i = 1; i <= 3; i++) Shoot(dir[$"in/f{i}.dng"], i);
        string outDir = dir["out"];
        Assert.Equal(0, Cli.Run("process", dir["in"], "-o", outDir, "--format", "png", "--no-metadata").ExitCode);
        string f1 = Path.Combine(outDir, "f1.png"), f2 = Path.Combine(outDir, "f2.png");
        var keptStamp = File.GetLastWriteTimeUtc(f1);
        File.WriteAllBytes(f2, File.ReadAllBytes(f2)[..1000]); // a truncated file, as an interrupted copy leaves
        File.WriteAllText(Path.Combine(outDir, $".f3{AtomicFile.TempMarker}dead.png"), "left by a killed run");
        File.Delete(Path.Combine(outDir, "f3.png"));

        var r = Cli.Run("process", dir["in"], "-o", outDir, "--format", "png", "--no-metadata", "--skip-existing", "--json");
        Assert.Equal(0, r.ExitCode);
        var events = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var status = events.Where(e => e.GetProperty("event").GetString() == "file")
            .ToDictionary(e => Path.GetFileName(e.GetProperty("input").GetString()!), e => e.GetProperty("status").GetString());
        Assert.Equal("skipped", status["f1.dng"]);
        Assert.Equal("done", status["f2.dng"]);
        Assert.Equal("done", status["f3.dng"]);
        // A done file says where its time went (the stages add up to at most its whole time); a skipped one has none.
        foreach (var e in events.Where(e => e.GetProperty("event").GetString() == "file"))
        {
            var stages = e.GetProperty("stages");
            if (e.GetProperty("status").GetString() == "skipped") { Assert.Equal(JsonValueKind.Null, stages.ValueKind); continue; }
            double sum = new[] { "unpack", "demosaic", "render", "encode" }.Sum(k => stages.GetProperty(k).GetDouble());
            Assert.True(stages.GetProperty("demosaic").GetDouble() > 0 && stages.GetProperty("encode").GetDouble() > 0, stages.ToString());
            Assert.InRange(sum, 0.001, e.GetProperty("seconds").GetDouble() + 0.004);
        }
        var end = events.Last();
        Assert.Equal("end", end.GetProperty("event").GetString());
        Assert.Equal(2, end.GetProperty("done").GetInt32());
        Assert.Equal(1, end.GetProperty("skipped").GetInt32());
        Assert.Equal(keptStamp, File.GetLastWriteTimeUtc(f1));
        Assert.True(OutputValidator.IsComplete(f2));
        Assert.Equal(["f1.png", "f2.png", "f3.png"], Files(outDir)); // stale temp file removed
    }

    [Fact]
    public void Output_completeness_is_judged_per_format()
    {
        using var dir = new TempDir();
        var img = new Core.Imaging.RgbImage(64, 32);
        foreach (var fmt in new[] { "jpg", "png", "tiff", "exr" })
        {
            string path = dir["x." + (fmt == "tiff" ? "tif" : fmt)];
            OutputEncoder.Write(img.Clone(), "synthetic", path, new ExportOptions { Format = fmt, CopyMetadata = false });
            Assert.True(OutputValidator.IsComplete(path), fmt);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 40)]);
            Assert.False(OutputValidator.IsComplete(path), fmt + " truncated");
        }
    }

    [Fact]
    public void A_tiny_memory_budget_still_finishes_every_image()
    {
        using var dir = new TempDir();
        for (int i = 1; i <= 4; i++) Shoot(dir[$"in/f{i}.dng"], i);
        var recipe = new Recipe { Export = new ExportOptions { Format = "png", CopyMetadata = false } };
        var plan = new PlanResolver().Resolve([dir["in"]], dir["out"], recipe).Plan;
        var runner = new BatchRunner(plan, threads: 2, memoryBudgetBytes: 1);
        var result = runner.Run();
        Assert.Equal(4, result.Done);
        // One image at a time: the gate never admitted a second image over the budget.
        Assert.Equal(MemoryGate.EstimateBytes(320 * 240), result.PeakMemoryBytes);
    }

    [Fact]
    public void Cancelling_stops_new_work_and_leaves_no_temp_files()
    {
        using var dir = new TempDir();
        for (int i = 1; i <= 6; i++) Shoot(dir[$"in/f{i}.dng"], i);
        var recipe = new Recipe { Export = new ExportOptions { Format = "tiff", CopyMetadata = false } };
        var plan = new PlanResolver().Resolve([dir["in"]], dir["out"], recipe).Plan;
        using var cts = new CancellationTokenSource();
        var result = new BatchRunner(plan, threads: 1).Run(r => cts.Cancel(), cts.Token);
        Assert.True(result.Cancelled);
        Assert.Equal(1, result.Done);
        Assert.Equal(["f1.tif"], Files(dir["out"]));
    }

    [Fact]
    public void Plan_prints_names_and_writes_nothing_and_collisions_stop_the_batch()
    {
        using var dir = new TempDir();
        Shoot(dir["in/a/x_1.dng"]); Shoot(dir["in/b/x_1.dng"], 2);
        var plan = Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[s]/[oc]_[n2]", "--format", "jpg", "--plan");
        Assert.Equal(0, plan.ExitCode);
        Assert.Contains($"{dir["in/a/x_1.dng"]} -> {dir["out/a/x_01.jpg"]}", plan.Stdout);
        Assert.Contains($"{dir["in/b/x_1.dng"]} -> {dir["out/b/x_01.jpg"]}", plan.Stdout);
        Assert.False(Directory.Exists(dir["out"]));

        var clash = Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "[o]", "--format", "jpg");
        Assert.Equal(1, clash.ExitCode);
        Assert.Contains("also the output of", clash.Stderr);
        Assert.Contains("nothing was written", clash.Stderr);
        Assert.False(Directory.Exists(dir["out"]));

        var bad = Cli.Run("process", dir["in"], "-o", dir["out"], "--naming", "../[o]");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public void Recipe_init_round_trips_and_flags_override_it()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Cli.Run("recipe", "init", dir["r.json"]).ExitCode);
        var loaded = Recipe.Load(dir["r.json"]);
        Assert.Equal(new Recipe().ToJson(), loaded.ToJson());
        File.WriteAllText(dir["r2.json"], loaded.ToJson().Replace("\"format\": \"tiff\"", "\"format\": \"png\"").Replace("\"quality\": 95", "\"quality\": 80"));
        Assert.Equal("png", Recipe.Load(dir["r2.json"]).Export.Format);
        Shoot(dir["in/a.dng"]);
        var r = Cli.Run("process", dir["in/a.dng"], "-o", dir["out"], "--recipe", dir["r2.json"], "--format", "jpg", "--no-metadata");
        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(dir["out/a.jpg"]));
        File.WriteAllText(dir["bad.json"], "{ \"export\": { \"fromat\": \"png\" } }");
        var bad = Cli.Run("process", dir["in/a.dng"], "-o", dir["out2"], "--recipe", dir["bad.json"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("fromat", bad.Stderr);
    }

    [Fact]
    public void Scan_lists_groups_as_json()
    {
        using var dir = new TempDir();
        Shoot(dir["in/g1/a.dng"]); Shoot(dir["in/g2/b.dng"], 2);
        var r = Cli.Run("scan", dir["in"], "--json");
        Assert.Equal(0, r.ExitCode);
        var groups = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("groups");
        Assert.Equal(["g1", "g2"], groups.EnumerateArray().Select(g => g.GetProperty("name").GetString()!).ToArray());

        // JPEGs beside the RAW files (a RAW batch's outputs) are not taken, and the count says so.
        File.WriteAllBytes(dir["in/g1/a.jpg"], [0xFF, 0xD8, 0xFF, 0xD9]);
        File.WriteAllBytes(dir["in/g2/b.tif"], [0x49, 0x49, 0x2A, 0x00]);
        var mixed = Cli.Run("scan", dir["in"], "--json");
        var root = JsonDocument.Parse(mixed.Stdout).RootElement;
        Assert.Equal((2, 2), (root.GetProperty("total").GetInt32(), root.GetProperty("photosNotTaken").GetInt32()));
        Assert.Contains("2 JPEG/TIFF/PNG file(s) beside the RAW files not taken", Cli.Run("scan", dir["in"]).Stdout);
    }
}

public class CancelTests
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [SkippableFact]
    public void Sigint_stops_the_batch_cleanly()
    {
        Skip.If(Signals.SigintIgnored(), Signals.SigintIgnoredHere);
        using var dir = new TempDir();
        for (int i = 1; i <= 16; i++)
        {
            Directory.CreateDirectory(dir["in"]);
            SyntheticDng.Write(dir[$"in/f{i}.dng"], new SceneParameters { Width = 1200, Height = 800, HasChart = false, Seed = i });
        }
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "imagespace.dll"), "process", dir["in"], "-o", dir["out"], "--threads", "1", "--json", "--no-metadata" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null && !line.Contains("\"event\":\"file\"")) { }
        Assert.NotNull(line); // the first image is done
        Assert.Equal(0, Kill(p.Id, 2)); // SIGINT, at once (no kill process to start)
        string rest = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60000));
        Assert.Equal(1, p.ExitCode);
        Assert.Contains("\"cancelled\":true", rest);
        var outputs = Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories);
        Assert.InRange(outputs.Length, 1, 15);
        Assert.DoesNotContain(outputs, f => f.Contains(AtomicFile.TempMarker));
        Assert.All(outputs, f => Assert.True(OutputValidator.IsComplete(f), f));
    }

    /// <summary>Ctrl-C in a terminal signals the whole foreground process group: the LibRaw helpers and exiftool as
    /// well as Image Space. The images in flight must still finish, metadata and all (they used to fail with "decoder
    /// crashed (signal 2)" or "exiftool exited unexpectedly" in 5 runs of 6).</summary>
    [SkippableFact]
    public void Ctrl_c_to_the_process_group_lets_the_images_in_flight_finish()
    {
        Skip.If(Signals.SigintIgnored(), Signals.SigintIgnoredHere);
        Skip.IfNot(ExternalTools.Has("exiftool") && File.Exists("/usr/bin/setsid"), "needs exiftool and setsid");
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        for (int i = 1; i <= 12; i++)
            SyntheticDng.Write(dir[$"in/f{i:00}.dng"], new SceneParameters { Width = 1600, Height = 1200, HasChart = false, Seed = i },
                new DngInfo { Model = $"Body {i}" });
        // setsid runs the CLI as the leader of a process group of its own, as a shell runs a foreground command.
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/setsid") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "imagespace.dll"), "process", dir["in"], "-o", dir["out"], "--threads", "2", "--json", "--format", "jpg" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null && !line.Contains("\"event\":\"file\"")) { }
        Assert.NotNull(line); // the first image is done, the next ones are in flight
        Assert.Equal(0, Kill(-p.Id, 2)); // SIGINT to the process group, as the terminal sends it
        string rest = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60000));

        Assert.Contains("\"cancelled\":true", rest);
        Assert.DoesNotContain("\"status\":\"failed\"", rest);
        Assert.DoesNotContain("error:", stderr.Result);
        var outputs = Directory.GetFiles(dir["out"], "*.jpg", SearchOption.AllDirectories);
        Assert.InRange(outputs.Length, 2, 11);
        foreach (var f in outputs)
            Assert.Equal($"Body {int.Parse(Path.GetFileNameWithoutExtension(f)[1..])}", ExternalTools.ExifTags(f, "Model")["Model"]);
    }
}
