using System.Diagnostics;
using System.Runtime.InteropServices;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Whole-process benchmark (issue 17): `imagespace process` on one synthetic 24 MP DNG → 16-bit TIFF with
/// metadata, without metadata, and → JPEG q95 with metadata, each run paired with `dcraw_emu -4 -T` on the same file
/// (alternating, so both see the same machine load). Wall and CPU time (user + system of the process and its children:
/// LibRaw helper, exiftool), medians over the pairs; peak RSS of our process.
/// Usage: ImageSpace.Bench pipeline [--runs N] [--width W --height H] [--cli path/to/imagespace.dll ... (only those builds, paired)]
/// Goals: wall and CPU ≤ 0.8× dcraw_emu; peak RSS ≤ 600 MiB.</summary>
public static class PipelineBench
{
    public static int Run(string[] args)
    {
        int runs = Arg(args, "--runs", 5), width = Arg(args, "--width", 6000), height = Arg(args, "--height", 4000);
        // Each --cli names a build to compare (paired in the same rounds); none: ./out and the plain build.
        var named = args.Select((a, i) => (a, i)).Where(p => p.a == "--cli" && p.i + 1 < args.Length)
            .Select(p => (label: "--cli " + Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(args[p.i + 1]))), path: Path.GetFullPath(args[p.i + 1]))).ToList();
        var clis = named.Count > 0 ? named : FindClis();
        if (clis.Count == 0) { Console.WriteLine("imagespace.dll not found: run ./setup.sh (./out) or build src/ImageSpace.Cli (Release) first"); return 1; }
        string tmp = Directory.CreateTempSubdirectory("imagespace-pipelinebench-").FullName;
        try
        {
            string dng = Path.Combine(tmp, "frame.dng");
            SyntheticDng.Write(dng, new SceneParameters { Width = width, Height = height, PatchPitch = width / 20.0, HasChart = false, Seed = 3 },
                new DngInfo { Gps = (46.0, 7.0, 500) });
            Console.WriteLine($"{Environment.ProcessorCount} cores; {width}x{height} DNG; {runs} rounds after one warm-up (each build, then dcraw_emu); medians");
            foreach (var (label, path) in clis) Console.WriteLine($"  {label}: {path}");
            foreach (var (name, extra) in new (string, string[])[]
            {
                ("TIFF 16-bit, metadata", ["--format", "tiff", "--bit-depth", "16"]),
                ("TIFF 16-bit, no metadata", ["--format", "tiff", "--bit-depth", "16", "--no-metadata"]),
                ("JPEG q95, metadata", ["--format", "jpg", "--quality", "95"]),
            })
            {
                string output = Path.Combine(tmp, "out");
                string[] Ours(string cli) => ["exec", cli, "process", dng, "-o", output, "--overwrite", .. extra];
                foreach (var (_, cli) in clis) Measure("dotnet", Ours(cli));
                Measure("dcraw_emu", ["-4", "-T", dng]);
                // Rounds: every build once, then dcraw_emu, so all see the same machine load; ratios are per round.
                var rounds = new List<(Sample[] us, Sample them)>();
                for (int i = 0; i < runs; i++)
                {
                    var us = clis.Select(c => Measure("dotnet", Ours(c.path))).ToArray();
                    rounds.Add((us, Measure("dcraw_emu", ["-4", "-T", dng])));
                }
                double Med(Func<(Sample[] us, Sample them), double> f) => rounds.Select(f).Order().ElementAt(rounds.Count / 2);
                for (int k = 0; k < clis.Count; k++)
                {
                    double wall = Med(r => r.us[k].Wall), cpu = Med(r => r.us[k].Cpu), dWall = Med(r => r.them.Wall), dCpu = Med(r => r.them.Cpu);
                    Console.WriteLine($"{name,-26} {clis[k].label,-22} {wall,5:0.00} s wall {cpu,5:0.00} s CPU | dcraw_emu {dWall,5:0.00} s {dCpu,5:0.00} s CPU" +
                                      $" | ratio wall {Med(r => r.us[k].Wall / r.them.Wall):0.00} CPU {Med(r => r.us[k].Cpu / r.them.Cpu):0.00} (goal ≤ 0.80)");
                }
                Directory.Delete(output, true);
            }
            Console.WriteLine($"peak RSS of the largest process (ours) {MaxRssKb() / 1024.0:0} MiB (goal ≤ 600)");
        }
        finally { Directory.Delete(tmp, true); }
        return 0;
    }

    private readonly record struct Sample(double Wall, double Cpu);

    private static Sample Measure(string exe, string[] args)
    {
        double cpu0 = ChildrenCpuSeconds();
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{exe} not found");
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double wall = sw.Elapsed.TotalSeconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} failed: {err.Result}");
        if (exe == "dcraw_emu") File.Delete(args[^1] + ".tiff");
        return new Sample(wall, ChildrenCpuSeconds() - cpu0);
    }

    [DllImport("libc", SetLastError = true)] private static extern int getrusage(int who, long[] usage);

    /// <summary>User + system seconds of every child waited for so far (and their own children).</summary>
    private static double ChildrenCpuSeconds()
    {
        var u = new long[18];
        if (getrusage(-1 /* RUSAGE_CHILDREN */, u) != 0) return double.NaN;
        return u[0] + u[1] / 1e6 + u[2] + u[3] / 1e6; // ru_utime, ru_stime (timeval: seconds, microseconds)
    }

    private static long MaxRssKb()
    {
        var u = new long[18];
        return getrusage(-1, u) == 0 ? u[4] : 0; // ru_maxrss, kB
    }

    /// <summary>The builds to compare: ./out (setup.sh's ReadyToRun publish: what a user runs; rebuild it after a
    /// change) and the plain Release build (jitted at start), whichever exist.</summary>
    internal static List<(string label, string path)> FindClis()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string built = Path.Combine(d.FullName, "src", "ImageSpace.Cli", "bin", "Release", "net10.0", "imagespace.dll");
            if (!File.Exists(built)) continue;
            var list = new List<(string, string)>();
            string published = Path.Combine(d.FullName, "out", "imagespace.dll");
            if (File.Exists(published)) list.Add(("ours ReadyToRun (out)", published));
            list.Add(("ours jitted (bin)", built));
            return list;
        }
        return [];
    }

    private static int Arg(string[] args, string name, int dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : dflt;
    }
}
