using System.Diagnostics;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>The LibRaw helper and exiftool -stay_open die with the Image Space process, even on SIGKILL (issue 15:
/// orphaned exiftool processes were left after every killed batch).</summary>
public class ChildProcessTests
{
    [SkippableFact]
    public void Sigkilled_batch_leaves_no_exiftool_or_decoder_behind()
    {
        Skip.IfNot(ExifTool.IsAvailable, "exiftool is not installed");
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        for (int i = 0; i < 6; i++)
            SyntheticDng.Write(dir[$"in/f{i}.dng"], new SceneParameters { Width = 2400, Height = 1600, HasChart = false, Seed = i });

        using var cli = StartCli("process", dir["in"], "-o", dir["out"], "--threads", "1", "--format", "jpg", "--json");

        // One thread: after the first write exiftool stays up for the run, and the next decode runs beside it.
        var seen = new Dictionary<int, string>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !cli.HasExited)
        {
            foreach (var (pid, name) in Descendants(cli.Id)) seen[pid] = name; // latest name: a child is named after the forking thread until it execs
            if (Alive(seen, "exiftool") && Alive(seen, "imagespace-libraw")) break;
            Thread.Sleep(5);
        }
        Assert.True(Alive(seen, "exiftool") && Alive(seen, "imagespace-libraw"),
            $"never saw exiftool and the decoder running together: {string.Join(", ", seen.Values)}");
        var children = seen.Where(kv => ProcessAlive(kv.Key)).ToDictionary();
        cli.Kill(entireProcessTree: false); // SIGKILL to the CLI alone: no handler of ours runs
        cli.WaitForExit();

        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && children.Keys.Any(ProcessAlive)) Thread.Sleep(20);
        var survivors = children.Where(kv => ProcessAlive(kv.Key)).Select(kv => $"{kv.Value} ({kv.Key})").ToList();
        foreach (var pid in children.Keys.Where(ProcessAlive)) try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
        Assert.Empty(survivors);
        Assert.Contains(children.Values, n => n == "imagespace-chil"); // comm is cut at 15 characters
    }

    [SkippableFact]
    public void A_batch_on_more_threads_than_exiftool_processes_shares_them_and_every_output_has_its_metadata()
    {
        Skip.IfNot(ExifTool.IsAvailable, "exiftool is not installed");
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in"]);
        for (int i = 0; i < 8; i++)
            SyntheticDng.Write(dir[$"in/f{i}.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = i },
                new DngInfo { Make = "Nikon", Model = $"Body {i}" });
        const int threads = 4;
        using var cli = StartCli("process", dir["in"], "-o", dir["out"], "--threads", $"{threads}", "--format", "jpg");
        var exiftools = new HashSet<int>();
        while (!cli.HasExited)
        {
            foreach (var (pid, name) in Descendants(cli.Id)) if (name == "exiftool") exiftools.Add(pid);
            Thread.Sleep(5);
        }
        Assert.Equal(0, cli.ExitCode);
        // Each further exiftool would pay Perl's start-up again (issue 17): four threads on this machine's cores use
        // at most one per three cores.
        Assert.InRange(exiftools.Count, 1, Math.Min(threads - 1, ExifTool.MaxProcesses));
        var (code, stdout, _) = ExternalTools.Run("exiftool", "-q", "-q", "-s3", "-Model", "-r", "-ext", "jpg", dir["out"]);
        Assert.Equal(0, code);
        var models = System.Text.Encoding.UTF8.GetString(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"Body {i}").Order(), models.Order());
    }

    /// <summary>Ctrl-C in a terminal signals the whole foreground process group. The children an image in flight
    /// needs must not get it: exiftool (through imagespace-child) runs in a process group of its own, and the LibRaw
    /// helper ignores SIGINT (Image Space lets those images finish; see BatchTests).</summary>
    [Fact]
    public void Children_are_out_of_reach_of_a_terminal_ctrl_c()
    {
        using var dir = new TempDir();
        // imagespace-child: a long-lived program started through it sits in another process group than ours.
        var psi = new ProcessStartInfo(ChildLauncher.Locate()) { UseShellExecute = false };
        foreach (var a in new[] { ChildLauncher.ParentPid, "sleep", "30" }) psi.ArgumentList.Add(a);
        using var launcher = Process.Start(psi)!;
        int sleeper = WaitFor(() => Descendants(launcher.Id).Where(d => d.Item2 == "sleep").Select(d => d.Item1).FirstOrDefault());
        try
        {
            Assert.NotEqual(ProcessGroup(Environment.ProcessId), ProcessGroup(launcher.Id));
            Assert.Equal(ProcessGroup(launcher.Id), ProcessGroup(sleeper));
        }
        finally { launcher.Kill(); launcher.WaitForExit(); }

        // The LibRaw helper, held open on a FIFO (LibRaw waits for a writer), has SIGINT ignored.
        string fifo = dir["raw.dng"];
        Assert.Equal(0, MkFifo(fifo, Convert.ToInt32("600", 8)));
        using var helper = Process.Start(new ProcessStartInfo(LibRawHelper.Locate(), ["raw", fifo]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            // Polled until the bit shows (the helper sets it first thing) or 10 s pass: it waits on the FIFO meanwhile.
            bool ignored = WaitFor(() => File.ReadAllText($"/proc/{helper.Id}/comm").Trim() == "imagespace-libr" && Signals.SigintIgnored($"{helper.Id}"));
            Assert.True(ignored, "the LibRaw helper does not ignore SIGINT");
            Assert.False(helper.HasExited, "the helper should still wait for its FIFO");
        }
        finally { helper.Kill(); helper.WaitForExit(); }
    }

    /// <summary>A helper started a few ms before a terminal's Ctrl-C dies of it before its first line can ignore it
    /// (exec and linking LibRaw): that helper call is run once more, as the image is in flight; a second SIGINT death
    /// is reported as the crash it then is.</summary>
    [SkippableTheory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public void A_helper_killed_by_sigint_is_run_once_more(int interruptions, bool decodes)
    {
        Skip.If(Signals.SigintIgnored(), Signals.SigintIgnoredHere);
        using var dir = new TempDir();
        string dng = dir["shot.dng"], count = dir["count"];
        SyntheticDng.Write(dng, new SceneParameters { Width = 64, Height = 48, HasChart = false });
        // Stands in for the helper: dies of SIGINT the first <interruptions> times, then runs the real one.
        string helper = dir["helper.sh"];
        File.WriteAllText(helper, $"#!/bin/sh\necho x >> '{count}'\n[ $(wc -l < '{count}') -le {interruptions} ] && kill -INT $$\nexec '{LibRawHelper.Locate()}' \"$@\"\n");
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        if (decodes)
        {
            var result = LibRawHelper.Run(helper, dng, "raw", []);
            Assert.Equal(64 * 48, result.Metadata.OutWidth * result.Metadata.OutHeight);
        }
        else Assert.Contains("decoder crashed (signal 2)", Assert.Throws<RawDecodeException>(() => LibRawHelper.Run(helper, dng, "raw", [])).Message);
        Assert.Equal(2, File.ReadAllLines(count).Length); // once more, not forever
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, int mode);

    private static int ProcessGroup(int pid) => int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ')[3]);

    private static T WaitFor<T>(Func<T> probe)
    {
        for (var until = DateTime.UtcNow.AddSeconds(10); ; Thread.Sleep(10))
        {
            var value = probe();
            if (!EqualityComparer<T>.Default.Equals(value, default) || DateTime.UtcNow > until) return value;
        }
    }

    /// <summary>The CLI in its own process, its output drained (and dropped) so it never blocks on a full pipe.</summary>
    private static Process StartCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "imagespace.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var cli = Process.Start(psi)!;
        cli.OutputDataReceived += (_, _) => { };
        cli.ErrorDataReceived += (_, _) => { };
        cli.BeginOutputReadLine();
        cli.BeginErrorReadLine();
        return cli;
    }

    private static bool Alive(Dictionary<int, string> seen, string name) => seen.Any(kv => kv.Value.StartsWith(name[..Math.Min(15, name.Length)], StringComparison.Ordinal) && ProcessAlive(kv.Key));

    /// <summary>Alive and not a zombie (a killed child waits as a zombie until its new parent reaps it).</summary>
    private static bool ProcessAlive(int pid)
    {
        try { return Stat(pid) is { } s && s.State != 'Z' && s.State != 'X'; }
        catch (IOException) { return false; }
    }

    private static (int Ppid, char State, string Comm)? Stat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        int open = text.IndexOf('('), close = text.LastIndexOf(')');
        var rest = text[(close + 2)..].Split(' ');
        string comm = text[(open + 1)..close];
        // exiftool runs as perl: name it by its script.
        if (comm == "perl" && File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("exiftool")) comm = "exiftool";
        return (int.Parse(rest[1]), rest[0][0], comm);
    }

    private static IEnumerable<(int, string)> Descendants(int root)
    {
        var parents = new Dictionary<int, (int Ppid, string Comm)>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(d), out int pid) && Stat(pid) is { } s) parents[pid] = (s.Ppid, s.Comm);
        foreach (var (pid, info) in parents)
        {
            for (int p = info.Ppid, hops = 0; p > 1 && hops < 10; hops++)
            {
                if (p == root) { yield return (pid, info.Comm); break; }
                if (!parents.TryGetValue(p, out var up)) break;
                p = up.Ppid;
            }
        }
    }
}
