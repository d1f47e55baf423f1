using System.Diagnostics;
using System.Runtime.InteropServices;
using ImageSpace.Core.Raw;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Decode benchmark (issue 2): our decode next to LibRaw's dcraw_emu on the same files in the same run.
/// Usage: ImageSpace.Bench decode [--runs N] [--width W --height H] [FILE...]
/// Goals on 2 cores: full decode ≤ 0.7× `dcraw_emu -4 -T`; half-size ≤ 0.5× `dcraw_emu -h -4 -T`;
/// peak RSS ≤ 600 MB per 24 MP decode.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 3 && args[0] == "--child") return Child(args[1], args[2]);
        if (args.Length >= 1 && args[0] == "micro") { Micro.Run(args.Length > 1 ? args[1] : null); return 0; }
        if (args.Length >= 1 && args[0] == "batch") return BatchBench.Run(args);
        if (args.Length >= 1 && args[0] == "detect") return DetectBench.Run();
        if (args.Length >= 1 && args[0] == "pipeline") return PipelineBench.Run(args);
        if (args.Length >= 1 && args[0] == "stages") return StageBench.Run(args);
        if (args.Length >= 1 && args[0] == "demosaic") return DemosaicBench.Run(args);
        if (args.Length >= 1 && args[0] == "film") return FilmBench.Run();
        if (args.Length >= 1 && args[0] == "adjust") return AdjustBench.Run();
        if (args.Length >= 2 && args[0] == "ui" && args[1] == "browser") return UiBrowserBench.Run();
        if (args.Length >= 2 && args[0] == "ui" && args[1] == "server") return UiBench.Run();
        if (args.Length >= 1 && args[0] == "ui") return Math.Max(UiBench.Run(), UiBrowserBench.Run());
        if (args.Length >= 1 && args[0] == "farm") return FarmBench.Run(args);
        if (args.Length >= 3 && args[0] == "--farm-worker") return FarmBench.Worker(args);
        if (args.Length >= 1 && args[0] == "--child-batch") return BatchBench.Child(args);
        int runs = Int("--runs", 5), width = Int("--width", 6000), height = Int("--height", 4000);
        int Int(string name, int dflt) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : dflt; }
        var files = args.Where((a, i) => !a.StartsWith("--") && (i == 0 || !args[i - 1].StartsWith("--")) && a != "decode").ToList();

        using var tmp = new TempFolder();
        string synthetic = Path.Combine(tmp.Path, $"synthetic_{width}x{height}.dng");
        Console.WriteLine($"Writing synthetic {width}x{height} DNG ...");
        SyntheticDng.Write(synthetic, new SceneParameters { Width = width, Height = height, PatchPitch = width / 20.0, RotationDeg = 10, TiltDeg = 15 });
        files.Insert(0, synthetic);
        string? real = FindShared("raw/imageio_Blackmagic_PocketCinema4K.dng");
        if (real is not null && files.Count == 1) files.Add(real);

        Console.WriteLine($"{Environment.ProcessorCount} cores, {runs} runs each (after one warm-up), medians in ms");
        Console.WriteLine();
        foreach (var f in files) BenchFile(f, runs, tmp.Path);
        return 0;
    }

    private static void BenchFile(string file, int runs, string tmp)
    {
        var meta = RawDecoder.ReadMetadata(file);
        double mp = meta.Width * (double)meta.Height / 1e6;
        Console.WriteLine($"== {Path.GetFileName(file)}  ({meta.Width}x{meta.Height}, {mp:0.0} MP)");
        var half = Time(runs, () => { using var d = RawDecoder.Decode(file, new DecodeOptions { Demosaic = DemosaicMode.Half }); return d.Timings; });
        var full = Time(runs, () => { using var d = RawDecoder.Decode(file, new DecodeOptions { Demosaic = DemosaicMode.Full }); return d.Timings; });
        var ppg = Time(runs, () => { using var d = RawDecoder.Decode(file, new DecodeOptions { Demosaic = DemosaicMode.Ppg }); return d.Timings; });
        var lmmse = Time(runs, () => { using var d = RawDecoder.Decode(file, new DecodeOptions { Demosaic = DemosaicMode.Lmmse }); return d.Timings; });
        string copy = Path.Combine(tmp, "dcraw_" + Path.GetFileName(file));
        File.Copy(file, copy, true);
        double dcraw = Median(runs, () => RunDcrawEmu(copy, "-4", "-T"));
        double dcrawHalf = Median(runs, () => RunDcrawEmu(copy, "-h", "-4", "-T"));
        Console.WriteLine($"  ours half-size   {half.total,8:0}  (unpack {half.unpack:0}, demosaic {half.demosaic:0}, colour {half.color:0}, orient {half.orient:0})");
        Console.WriteLine($"  ours full (RCD)  {full.total,8:0}  (unpack {full.unpack:0}, demosaic {full.demosaic:0}, colour {full.color:0}, orient {full.orient:0})");
        Console.WriteLine($"  ours full (PPG)  {ppg.total,8:0}  (unpack {ppg.unpack:0}, demosaic {ppg.demosaic:0}, colour {ppg.color:0}, orient {ppg.orient:0})");
        Console.WriteLine($"  ours LMMSE       {lmmse.total,8:0}  (unpack {lmmse.unpack:0}, demosaic {lmmse.demosaic:0}, colour {lmmse.color:0}, orient {lmmse.orient:0})");
        Console.WriteLine($"  dcraw_emu -h -4 -T {dcrawHalf,6:0}");
        Console.WriteLine($"  dcraw_emu -4 -T    {dcraw,6:0}  (AHD)");
        Console.WriteLine($"  ratio full / dcraw_emu        {full.total / dcraw:0.00}  (goal ≤ 0.70)");
        Console.WriteLine($"  ratio half / dcraw_emu -h     {half.total / dcrawHalf:0.00}  (goal ≤ 0.50)");
        foreach (var mode in new[] { "half", "full" })
        {
            var (self, helper) = PeakRss(mode, file);
            Console.WriteLine($"  peak RSS {mode,-4}: decoder process {self:0} MB + LibRaw helper {helper:0} MB = {self + helper:0} MB" +
                              (mode == "full" ? $"  ({(self + helper) / mp * 24:0} MB per 24 MP, goal ≤ 600)" : ""));
        }
        Console.WriteLine();
    }

    private static (double total, double unpack, double demosaic, double color, double orient) Time(int runs, Func<DecodeTimings> decode)
    {
        decode();
        var list = new List<(double, double, double, double, double)>();
        for (int i = 0; i < runs; i++)
        {
            GC.Collect();
            var sw = Stopwatch.StartNew();
            var t = decode();
            list.Add((sw.Elapsed.TotalMilliseconds, t.Unpack.TotalMilliseconds, t.Demosaic.TotalMilliseconds, t.Color.TotalMilliseconds, t.Orientation.TotalMilliseconds));
        }
        var sorted = list.OrderBy(x => x.Item1).ToList();
        return sorted[sorted.Count / 2];
    }

    private static double Median(int runs, Action a)
    {
        a();
        var t = new List<double>();
        for (int i = 0; i < runs; i++) { var sw = Stopwatch.StartNew(); a(); t.Add(sw.Elapsed.TotalMilliseconds); }
        t.Sort();
        return t[t.Count / 2];
    }

    private static void RunDcrawEmu(string file, params string[] args)
    {
        var psi = new ProcessStartInfo("dcraw_emu") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("dcraw_emu (apt libraw-bin) not found");
        p.StandardOutput.ReadToEnd(); p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dcraw_emu failed on {file}");
        File.Delete(file + ".tiff");
    }

    /// <summary>Peak resident memory of one decode, measured in a fresh child process (so earlier runs do not count).</summary>
    private static (double self, double helper) PeakRss(string mode, string file)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        string? dll = typeof(Program).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--child"); psi.ArgumentList.Add(mode); psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return (double.Parse(parts[0]) / 1024, double.Parse(parts[1]) / 1024);
    }

    private static int Child(string mode, string file)
    {
        RawDecoder.Decode(file, new DecodeOptions { Demosaic = mode == "half" ? DemosaicMode.Half : DemosaicMode.Full });
        long self = File.ReadAllLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:"))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).First();
        Console.WriteLine($"{self} {ChildrenMaxRssKb()}");
        return 0;
    }

    [DllImport("libc", SetLastError = true)] private static extern int getrusage(int who, byte[] usage);
    private static long ChildrenMaxRssKb()
    {
        var buf = new byte[256];
        return getrusage(-1 /* RUSAGE_CHILDREN */, buf) == 0 ? BitConverter.ToInt64(buf, 32) : 0; // ru_maxrss after two timevals
    }

    internal static string? FindShared(string rel)
    {
        var env = Environment.GetEnvironmentVariable("IMAGESPACE_TEST_DATA");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, rel))) return Path.Combine(env, rel);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "..", "shared", "data", rel))) return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data", rel));
        return null;
    }

    internal sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("imagespace-bench-").FullName;
        public void Dispose() => Directory.Delete(Path, true);
    }
}

/// <summary>Micro-timings of the steps after unpack (ImageSpace.Bench micro).</summary>
public static class Micro
{
    /// <param name="only">run only the timings whose name contains this (e.g. "X-Trans")</param>
    public static void Run(string? only = null)
    {
        int w = 6000, h = 4000;
        var data = new ushort[w * h];
        new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        for (int i = 0; i < data.Length; i++) data[i] = (ushort)(data[i] & 0x3fff);
        var m = new ImageSpace.Core.Imaging.BayerMosaic(w, h, data, [0, 1, 1, 2], [512, 512, 512, 512], 16383);
        var n = ImageSpace.Core.Imaging.CfaNormalization.For(m, 16383, [2f, 1f, 1.5f], true);
        // CPU time next to wall time: on a shared machine the wall clock also counts other people's work.
        void T(string name, Action a)
        {
            if (only is not null && !name.Contains(only, StringComparison.OrdinalIgnoreCase)) return;
            a();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 5; i++) a();
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / 5;
            Console.WriteLine($"{name,-12} {sw.Elapsed.TotalMilliseconds / 5,7:0.0} ms wall, {cpuMs,7:0.0} ms CPU");
        }
        T("max", () => m.MaxValue());
        T("half", () => ImageSpace.Core.Imaging.BayerDemosaic.HalfSize(m, n).Dispose());
        T("full PPG", () => ImageSpace.Core.Imaging.BayerDemosaic.Full(m, n).Dispose());
        T("full RCD", () => ImageSpace.Core.Imaging.RcdDemosaic.Full(m, n).Dispose());
        T("full LMMSE", () => ImageSpace.Core.Imaging.LmmseDemosaic.Full(m, n).Dispose());
        var xt = new ImageSpace.Core.Imaging.XTransMosaic(w, h, data, ImageSpace.Core.Synthetic.Mosaicker.XTrans, Enumerable.Repeat(512f, 36).ToArray(), 16383);
        T("full X-Trans", () => ImageSpace.Core.Imaging.XTransDemosaic.Full(xt, 16383, [2f, 1f, 1.5f], 1f).Dispose());
        using (ImageSpace.Core.Imaging.Parallelism.Use(1))
        {
            T("PPG 1 thr", () => ImageSpace.Core.Imaging.BayerDemosaic.Full(m, n).Dispose());
            T("RCD 1 thr", () => ImageSpace.Core.Imaging.RcdDemosaic.Full(m, n).Dispose());
            T("LMMSE 1 thr", () => ImageSpace.Core.Imaging.LmmseDemosaic.Full(m, n).Dispose());
        }
        var img = ImageSpace.Core.Imaging.BayerDemosaic.Full(m, n);
        T("matrix", () => ImageSpace.Core.Imaging.MatrixOperator.Apply(img, new ImageSpace.Core.Color.Matrix3(1.1, -0.1, 0, 0, 1, 0, 0, -0.2, 1.2)));
    }
}
