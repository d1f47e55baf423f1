using System.Diagnostics;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Export;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Batch benchmark (issue 3): N synthetic 24 MP DNGs → 16-bit TIFF and → JPEG (metadata copied), on 1 and 2
/// threads, next to a `dcraw_emu -4 -T` loop over the same files in the same run. Each of our runs is a child process
/// so its peak RSS is its own.
/// Ours is `imagespace process` from ./out (setup.sh's ReadyToRun publish) or the Release build when there is no ./out;
/// `--in-process` runs the library in a child of this bench instead.
/// Usage: ImageSpace.Bench batch [--rounds R] [--formats tiff,jpg] [--files N] [--input DIR (keep the DNGs there)] [--cli imagespace.dll ... (builds paired in the same rounds)] [--in-process]
/// Goals: ≥ 1.8× images/min from 1 to 2 threads; peak RSS ≤ 2.5 GB; whole batch ≤ 0.6× the dcraw_emu loop's time.</summary>
public static class BatchBench
{
    public static int Run(string[] args)
    {
        int n = Arg(args, "--files", 8), width = Arg(args, "--width", 6000), height = Arg(args, "--height", 4000);
        string tmp = Directory.CreateTempSubdirectory("imagespace-batchbench-").FullName;
        try
        {
            // --input DIR keeps the DNGs there (written once, reused by later runs) for profiling a batch by hand.
            string input = ArgText(args, "--input") ?? Path.Combine(tmp, "in");
            Directory.CreateDirectory(input);
            bool written = Directory.GetFiles(input, "*.dng").Length == n;
            if (!written) Console.WriteLine($"Writing {n} synthetic {width}x{height} DNGs ...");
            for (int i = 0; i < n && !written; i++)
                SyntheticDng.Write(Path.Combine(input, $"frame_{i + 1:00}.dng"), new SceneParameters
                {
                    Width = width, Height = height, PatchPitch = width / 20.0, RotationDeg = 7 * i, HasChart = i % 2 == 0, Seed = i + 1,
                }, new DngInfo { Gps = (46.0, 7.0, 500) });

            bool inProcess = args.Contains("--in-process");
            // Each --cli names a build (several are paired in the same rounds); none: ./out, else the plain build.
            var named = args.Select((a, i) => (a, i)).Where(p => p.a == "--cli" && p.i + 1 < args.Length).Select(p => Path.GetFullPath(args[p.i + 1])).ToList();
            List<string?> clis = inProcess ? [null] : named.Count > 0 ? [.. named] : [PipelineBench.FindClis().Select(c => c.path).FirstOrDefault()];
            foreach (var cli in clis)
                Console.WriteLine(cli is null ? "ours: the library in a child process of this bench (jitted)" : $"ours: imagespace process --threads N --json ({cli}); times are whole processes");
            int rounds = Arg(args, "--rounds", 3);
            string[] formats = ArgText(args, "--formats")?.Split(',') ?? ["tiff", "jpg"];
            // Paired rounds: each round runs the dcraw_emu loop and every case once, the 1- and 2-thread runs in
            // alternating order, so a slow spell of this shared machine lands on both sides; ratios are taken per
            // round and their medians reported.
            var runs = new Dictionary<(string? cli, string format, int threads), List<BatchRun>>();
            var dcraw = new List<double>();
            for (int round = 1; round <= rounds; round++)
            {
                dcraw.Add(DcrawLoop(input));
                Console.WriteLine($"round {round}: dcraw_emu -4 -T loop {dcraw[^1]:0.0} s");
                foreach (var format in formats)
                    foreach (int threads in round % 2 == 1 ? new[] { 1, 2 } : [2, 1])
                        foreach (var cli in clis)
                        {
                            string output = Path.Combine(tmp, $"out_{format}_{threads}");
                            var r = cli is null ? Child(input, output, format, threads) : Cli(cli, input, output, format, threads);
                            Directory.Delete(output, true);
                            (runs.TryGetValue((cli, format, threads), out var list) ? list : runs[(cli, format, threads)] = []).Add(r);
                            Console.WriteLine($"  {Label(cli),-12} {Name(format),-11} {threads} thread(s): {r.Seconds,5:0.0} s  CPU {r.Cpu / n:0.00} s/image  peak RSS {r.RssMb:0} MB  " +
                                              $"first {r.First:0.00} s, others {r.Others:0.00} s  (others' stages: {r.Stages})");
                        }
            }
            Console.WriteLine();
            Console.WriteLine($"Medians of {rounds} paired round(s), {n} images; dcraw_emu -4 -T loop {Median(dcraw):0.0} s ({n / Median(dcraw) * 60:0.0} images/min)");
            foreach (var cli in clis)
                foreach (var format in formats)
                {
                    var one = runs[(cli, format, 1)];
                    var two = runs[(cli, format, 2)];
                    double Ratio(Func<BatchRun, double> f, List<BatchRun> a, List<BatchRun> b) => Median(a.Zip(b, (x, y) => f(x) / f(y)));
                    Console.WriteLine($"{Label(cli)} → {Name(format)}: 1 thread {Median(one.Select(r => r.Seconds)):0.0} s, 2 threads {Median(two.Select(r => r.Seconds)):0.0} s");
                    Console.WriteLine($"  scaling 1 → 2 threads: {Ratio(r => r.Seconds, one, two):0.00}×  (goal ≥ 1.8; per round: {string.Join(", ", one.Zip(two, (x, y) => (x.Seconds / y.Seconds).ToString("0.00")))})");
                    Console.WriteLine($"  first image / others: 1 thread {Median(one.Select(r => r.First / r.Others)):0.00}×, 2 threads {Median(two.Select(r => r.First / r.Others)):0.00}×  (goal ≤ 1.2)");
                    Console.WriteLine($"  CPU per image (all processes): 1 thread {Median(one.Select(r => r.Cpu / n)):0.00} s, 2 threads {Median(two.Select(r => r.Cpu / n)):0.00} s " +
                                      "(the wall-clock scaling is at most 2 × 1-thread wall / 2-thread CPU)");
                    Console.WriteLine($"  2 threads vs dcraw_emu loop: {Median(two.Zip(dcraw, (r, d) => r.Seconds / d)):0.00}× the time  (goal ≤ 0.6)");
                    Console.WriteLine($"  peak RSS {one.Concat(two).Max(r => r.RssMb):0} MB  (goal ≤ 2500)");
                }
        }
        finally { Directory.Delete(tmp, true); }
        return 0;
    }

    /// <summary>One batch run: whole wall time, peak RSS, first image's and the others' median seconds, CPU of it and its
    /// children, and the others' median stage times (from `--json`; empty for the in-process child).</summary>
    private sealed record BatchRun(double Seconds, double RssMb, double First, double Others, double Cpu, string Stages = "");

    private static string Label(string? cli) => cli is null ? "ours" : Path.GetFileName(Path.GetDirectoryName(cli)) ?? "ours";

    private static string Name(string format) => format == "tiff" ? "TIFF 16-bit" : "JPEG q95";

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static double DcrawLoop(string input)
    {
        var sw = Stopwatch.StartNew();
        foreach (var f in Directory.GetFiles(input, "*.dng").Order())
        {
            var psi = new ProcessStartInfo("dcraw_emu") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-4", "-T", f }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd(); p.StandardError.ReadToEnd(); p.WaitForExit();
            File.Delete(f + ".tiff");
        }
        return sw.Elapsed.TotalSeconds;
    }

    private static BatchRun Child(string input, string output, string format, int threads)
    {
        double cpu0 = StageBench.ChildCpuMs();
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(BatchBench).Assembly.Location);
        foreach (var a in new[] { "--child-batch", input, output, format, threads.ToString() }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("batch child failed: " + string.Join(' ', parts));
        return new(double.Parse(parts[0]), double.Parse(parts[1]) / 1024, double.Parse(parts[2]), double.Parse(parts[3]), (StageBench.ChildCpuMs() - cpu0) / 1000);
    }

    /// <summary>One batch run by the CLI as a user runs it: whole-process wall time, per-image times from its --json
    /// events (first = the first file in name order, which a 1-thread run starts first), peak RSS read from /proc while
    /// it runs (VmHWM only grows), CPU of it and its children.</summary>
    private static BatchRun Cli(string cli, string input, string output, string format, int threads)
    {
        double cpu0 = StageBench.ChildCpuMs();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] extra = format == "tiff" ? ["--bit-depth", "16"] : ["--quality", "95"];
        string[] argv = ["exec", cli, "process", input, "-o", output, "--format", format, "--threads", threads.ToString(), "--json", .. extra];
        foreach (var a in argv)
            psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        var reading = Task.Run(() => { string? l; while ((l = p.StandardOutput.ReadLine()) is not null) lines.Add(l); });
        long hwm = 0;
        while (!p.WaitForExit(50))
        {
            try { hwm = Math.Max(hwm, File.ReadAllLines($"/proc/{p.Id}/status").Where(l => l.StartsWith("VmHWM:")).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault()); }
            catch (IOException) { }
        }
        reading.Wait();
        double seconds = sw.Elapsed.TotalSeconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"imagespace failed: {err.Result}");
        var files = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("event").GetString() == "file")
            .Select(e => (input: e.GetProperty("input").GetString()!, s: e.GetProperty("seconds").GetDouble(), stages: e.TryGetProperty("stages", out var st) ? st : default))
            .OrderBy(f => f.input, StringComparer.Ordinal).ToList();
        var others = files.Skip(1).ToList();
        // Builds before per-file stages (2026-11-30) report none.
        string stages = others.Any(f => f.stages.ValueKind != System.Text.Json.JsonValueKind.Object) ? "not reported" : string.Join(", ", new[] { "unpack", "demosaic", "render", "encode" }
            .Select(k => $"{k} {Median(others.Select(f => f.stages.GetProperty(k).GetDouble())):0.00}"));
        return new(seconds, hwm / 1024.0, files[0].s, Median(others.Select(f => f.s)), (StageBench.ChildCpuMs() - cpu0) / 1000, stages);
    }

    /// <summary>Runs one batch and prints "seconds peakRssKb first others": the batch's time, its peak RSS, the time of
    /// the first image to start and the median of the others (per image, from its start to its output written).</summary>
    public static int Child(string[] args)
    {
        string input = args[1], output = args[2], format = args[3];
        int threads = int.Parse(args[4]);
        var recipe = new Recipe { Export = new ExportOptions { Format = format } };
        var plan = new PlanResolver().Resolve([input], output, recipe).Plan;
        var items = new List<ItemResult>();
        var result = new BatchRunner(plan, threads).Run(r => { lock (items) items.Add(r); });
        var first = items.First(r => r.Item == plan.Images[0]).Elapsed.TotalSeconds;
        var others = items.Where(r => r.Item != plan.Images[0]).Select(r => r.Elapsed.TotalSeconds).Order().ToList();
        if (result.Failures.Count > 0) { Console.WriteLine($"failed: {result.Failures[0].Reason}"); return 1; }
        long hwm = File.ReadAllLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:"))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).First();
        Console.WriteLine($"{result.Elapsed.TotalSeconds:0.000} {hwm} {first:0.000} {(others.Count > 0 ? others[others.Count / 2] : first):0.000}");
        return 0;
    }

    private static string? ArgText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Arg(string[] args, string name, int dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : dflt;
    }
}
