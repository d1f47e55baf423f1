using System.Diagnostics;
using System.Text.Json;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>One run per output folder (issue 15: two runs into one folder swept each other's temporary files,
/// rendered images twice and replaced outputs without --overwrite).</summary>
public class OutputLockTests
{
    [Fact]
    public async Task A_second_run_into_a_busy_folder_is_refused_and_the_first_finishes_untouched()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        // Enough frames that the first run is still busy when the second has started, scanned and planned, even on a
        // slow machine: the second must meet the lock, not finished outputs.
        const int Frames = 12;
        for (int i = 0; i < Frames; i++)
            SyntheticDng.Write(dir[$"in/f{i}.dng"], new SceneParameters { Width = 1600, Height = 1000, HasChart = false, Seed = i });
        string[] args = ["process", dir["in"], "-o", dir["out"], "--format", "png", "--no-metadata", "--threads", "1", "--json"];

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "imagespace.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var first = Process.Start(psi)!;
        var firstErr = first.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        string? line;
        while ((line = first.StandardOutput.ReadLine()) is not null)
        {
            lines.Add(line);
            if (line.Contains("\"event\":\"file\"")) break; // first output written, the others to go
        }
        string f0 = dir["out/f0.png"];
        var stamp = File.GetLastWriteTimeUtc(f0);

        var second = Cli.Run(args);
        lines.AddRange(first.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        first.WaitForExit();

        Assert.Equal(1, second.ExitCode);
        var err = second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(err);
        Assert.Contains($"pid {first.Id}", err[0]);
        Assert.Contains("is writing into this folder", err[0]);
        Assert.DoesNotContain("\"event\":\"file\"", second.Stdout);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal("", (await firstErr).Trim());
        var end = JsonDocument.Parse(lines.Last()).RootElement;
        Assert.Equal(Frames, end.GetProperty("done").GetInt32());
        Assert.Equal(0, end.GetProperty("failed").GetInt32());
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(f0));
        // Nothing but the outputs: no temporary files, and the lock file went with the run.
        Assert.Equal(Enumerable.Range(0, Frames).Select(i => $"f{i}.png").Order().ToArray(),
            Directory.GetFiles(dir["out"], "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)).Order().ToArray());
    }

    [Fact]
    public async Task Lock_is_exclusive_names_its_holder_and_can_be_waited_for()
    {
        using var dir = new TempDir();
        string folder = dir["a/b"];
        var held = OutputLock.Acquire([folder]);
        Assert.True(File.Exists(Path.Combine(folder, OutputLock.FileName)));
        var busy = Assert.Throws<OutputFolderBusyException>(() => OutputLock.Acquire([dir["a/b/"], dir["other"]]));
        Assert.Contains($"pid {Environment.ProcessId}", busy.Message);
        Assert.False(Directory.Exists(dir["other"])); // a refused lock leaves nothing behind

        // The clock starts before the releasing thread does: a stall between the two lines must not shorten the wait.
        var sw = Stopwatch.StartNew();
        var release = Task.Run(() => { Thread.Sleep(400); held.Dispose(); });
        using (OutputLock.Acquire([folder], TimeSpan.FromSeconds(20)))
        {
            Assert.True(sw.ElapsedMilliseconds >= 300, $"acquired after {sw.ElapsedMilliseconds} ms while held");
            await release;
        }
        // Nothing is left behind: no lock file, no file at all. (The folders a and a/b the first run made go with it
        // unless the waiting run took them over at the moment of the hand-over; then they may stay, empty.)
        Assert.False(File.Exists(Path.Combine(folder, OutputLock.FileName)));
        Assert.True(!Directory.Exists(dir["a"]) || Directory.GetFiles(dir["a"], "*", SearchOption.AllDirectories).Length == 0);
    }

    [Fact]
    public void Sweep_removes_only_temporary_files_of_dead_runs()
    {
        using var dir = new TempDir();
        using var alive = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        long aliveStart = RunId.StartTicks(alive.Id)!.Value;
        int deadPid; long deadStart;
        using (var gone = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!)
        {
            // Read while it surely lives, then end it: a short sleep could be gone before its start was read.
            deadPid = gone.Id;
            deadStart = RunId.StartTicks(deadPid)!.Value;
            gone.Kill();
            gone.WaitForExit();
        }
        string host = Environment.MachineName;
        var files = new Dictionary<string, bool> // name → expected to survive
        {
            [Temp("ours", RunId.Current)] = true,
            [Temp("live", RunId.Make(host, alive.Id, aliveStart))] = true,
            [Temp("dead", RunId.Make(host, deadPid, deadStart))] = false,
            [Temp("recycled", RunId.Make(host, alive.Id, aliveStart + 1))] = false, // same pid, another process
            [Temp("elsewhere", RunId.Make("another-host", deadPid, deadStart))] = true,
            [".legacy" + AtomicFile.TempMarker + "0123abcd.png"] = false,
            ["kept.png"] = true,
        };
        foreach (var name in files.Keys) File.WriteAllText(dir[name], "x");
        try
        {
            Assert.Equal(3, AtomicFile.RemoveStaleTempFiles(dir.Path));
            foreach (var (name, survives) in files) Assert.True(File.Exists(dir[name]) == survives, name);
        }
        finally { alive.Kill(); }

        static string Temp(string stem, string run) => $".{stem}{AtomicFile.TempMarker}{run}.{Guid.NewGuid():N}.png";
    }

    [Fact]
    public void Temporary_files_carry_the_run_id_of_their_writer()
    {
        using var dir = new TempDir();
        string? seen = null;
        AtomicFile.Write(dir["x.txt"], t => { seen = t; File.WriteAllText(t, "1"); });
        Assert.Equal(RunId.Current, AtomicFile.WriterOf(seen!));
        Assert.StartsWith($"{Environment.MachineName.Replace('_', '-').Replace('.', '-')}_{Environment.ProcessId}_", RunId.Current);
        Assert.False(RunId.IsDead(RunId.Current));
    }
}
