using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ImageSpace.Core.Export;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Where the CPU goes in one 24 MP DNG → 16-bit TIFF with metadata (issue 17), stage by stage, on one thread:
/// the same calls the pipeline makes (LibRaw helper, saturation scan, demosaic with the camera → working matrix,
/// orientation, exiftool's metadata template, working → output matrix + quantise + TIFF write), each timed by wall clock and by CPU
/// time of this process and of its child processes (the LibRaw helper, exiftool). CPU time is what to compare on a
/// shared machine: the wall clock also counts other people's work. The first image of the process is reported on its
/// own (first-touch page faults of fresh buffers, JIT), then the median of the rest.
/// Usage: ImageSpace.Bench stages [--runs N] [--threads T] [--width W --height H] [--dng FILE] [--jit-first]</summary>
public static class StageBench
{
    public static int Run(string[] args)
    {
        if (args.Contains("--faults")) return Faults();
        if (args.Contains("--encode")) return Encode();
        int runs = Arg(args, "--runs", 5), threads = Arg(args, "--threads", 1);
        int width = Arg(args, "--width", 6000), height = Arg(args, "--height", 4000);
        using var tmp = new Program.TempFolder();
        int keep = Array.IndexOf(args, "--dng"); // reuse (or write once) a DNG at this path
        string dng = keep >= 0 ? Path.GetFullPath(args[keep + 1]) : Path.Combine(tmp.Path, "frame.dng");
        if (!File.Exists(dng)) SyntheticDng.Write(dng, new SceneParameters { Width = width, Height = height, PatchPitch = width / 20.0, HasChart = false, Seed = 3 },
            new DngInfo { Gps = (46.0, 7.0, 500) });
        var export = new ExportOptions { Format = "tiff", BitDepth = 16 };
        var all = new List<List<(string stage, Sample s)>>();
        if (args.Contains("--jit-first"))
        {
            // One small image first: the kernels are compiled, the big buffers still fresh, so "first" below shows
            // what first-touch of the buffers costs and the difference to a run without this option the JIT.
            string small = Path.Combine(tmp.Path, "small.dng");
            SyntheticDng.Write(small, new SceneParameters { Width = 600, Height = 400, HasChart = false, Seed = 3 });
            using (Parallelism.Use(threads)) OneImage(small, Path.Combine(tmp.Path, "small.tif"), export);
        }
        using (Parallelism.Use(threads))
            for (int i = 0; i <= runs; i++) all.Add(OneImage(dng, Path.Combine(tmp.Path, "out.tif"), export));

        Console.WriteLine($"{Environment.ProcessorCount} cores, {threads} thread(s); {width}x{height} DNG → 16-bit TIFF + metadata; " +
                          $"first image, then medians of {runs} more; ms");
        Console.WriteLine($"{"stage",-22} {"first wall",10} {"first CPU",10} {"wall",8} {"CPU",8} {"child CPU",10}");
        foreach (var stage in all[0].Select(s => s.stage))
        {
            var first = all[0].First(s => s.stage == stage).s;
            var rest = all.Skip(1).Select(r => r.First(s => s.stage == stage).s).ToList();
            double Med(Func<Sample, double> f) => rest.Select(f).Order().ElementAt(rest.Count / 2);
            Console.WriteLine($"{stage,-22} {first.Wall,10:0} {first.Cpu + first.ChildCpu,10:0} {Med(s => s.Wall),8:0} {Med(s => s.Cpu),8:0} {Med(s => s.ChildCpu),10:0}");
        }
        return 0;
    }

    /// <summary>First touch of fresh 24 MP float planes (4 of them, 384 MB): plain GC arrays against pooled ones.</summary>
    private static int Faults()
    {
        bool pooled = Environment.GetEnvironmentVariable("FAULTS_POOL") == "1";
        double c0 = SelfCpuMs();
        var sw = Stopwatch.StartNew();
        var arrays = new List<float[]>();
        for (int k = 0; k < 4; k++)
        {
            var a = pooled ? LargeArrayPool<float>.Rent(24_000_000) : GC.AllocateUninitializedArray<float>(24_000_000);
            for (int i = 0; i < a.Length; i += 1024) a[i] = 1;
            arrays.Add(a);
        }
        Console.WriteLine($"{(pooled ? "pool" : "GC  ")}: {sw.Elapsed.TotalMilliseconds:0} ms wall {SelfCpuMs() - c0:0} ms CPU; " +
                          File.ReadAllLines("/proc/self/smaps_rollup").First(l => l.StartsWith("AnonHugePages")));
        return 0;
    }

    /// <summary>The encode stage in parts, on one thread: quantising the rows alone, then the whole TIFF write.</summary>
    private static int Encode()
    {
        int w = 6000, h = 4000;
        using var img = new RgbImage(w, h);
        var rng = new Random(1);
        for (int i = 0; i < img.PixelCount; i++) { img.R[i] = rng.NextSingle(); img.G[i] = img.R[i] * 0.5f; img.B[i] = img.R[i] * img.R[i]; }
        var cs = new ExportOptions { Format = "tiff" }.ResolvedColorSpace;
        var q = new Quantizer(cs.Transfer, cs.FromWorking);
        var row = new ushort[3 * w];
        string path = Path.Combine(Path.GetTempPath(), $"imagespace-encode-{Environment.ProcessId}.tif");
        using (Parallelism.Use(1))
            for (int k = 0; k < 3; k++)
            {
                double c0 = SelfCpuMs();
                for (int y = 0; y < h; y++) q.Row16(img, y, row);
                double c1 = SelfCpuMs();
                TiffWriter.Write(path, img, q, 16, BitMiracle.LibTiff.Classic.Compression.NONE, null, "bench");
                double c2 = SelfCpuMs();
                Console.WriteLine($"rows only {c1 - c0:0} ms CPU; rows + TIFF write {c2 - c1:0} ms CPU");
            }
        File.Delete(path);
        return 0;
    }

    public readonly record struct Sample(double Wall, double Cpu, double ChildCpu);

    private static List<(string, Sample)> OneImage(string dng, string output, ExportOptions export)
    {
        var list = new List<(string, Sample)>();
        T Stage<T>(string name, Func<T> f)
        {
            var (c0, k0) = (SelfCpuMs(), ChildCpuMs());
            var sw = Stopwatch.StartNew();
            var r = f();
            list.Add((name, new Sample(sw.Elapsed.TotalMilliseconds, SelfCpuMs() - c0, ChildCpuMs() - k0)));
            return r;
        }
        var total = Stopwatch.StartNew();
        var (c00, k00) = (SelfCpuMs(), ChildCpuMs());
        var raw = Stage("LibRaw unpack", () => LibRawHelper.Run(dng, "raw"));
        var meta = raw.Metadata;
        var mosaic = new BayerMosaic(meta.OutWidth, meta.OutHeight, raw.Payload, meta.Cfa, meta.Black, meta.White);
        var color = new CameraColor(meta);
        var (neutral, multipliers) = RawDecoder.WhiteBalanceFor(color, new DecodeOptions());
        Stage("saturation scan", () => BayerMosaic.MaxOf(mosaic.Data, mosaic.Width * mosaic.Height));
        var norm = CfaNormalization.For(mosaic, mosaic.White, multipliers, true);
        // As the decoder does: the camera → working matrix is applied as RCD stores its tiles.
        var img = Stage("demosaic RCD + matrix", () => RcdDemosaic.Full(mosaic, norm, toOutput: color.ToWorking(neutral, multipliers)));
        LargeArrayPool<ushort>.Return(raw.Payload);
        img = Stage("orientation", () => Orientation.Apply(img, meta.Flip));
        var cs = export.ResolvedColorSpace;
        var tags = MetadataTags.Arguments(dng, "tiff", cs, "bench");
        var metadata = Stage("exiftool template", () => OutputMetadata.Prepare("tiff", tags, cs));
        // As the encoder does: the working → output matrix is applied per row as the row is quantised.
        var q = new Quantizer(cs.Transfer, cs.FromWorking);
        var icc = ImageSpace.Core.Color.IccProfile.For(cs);
        Stage("matrix + quantise + TIFF", () =>
        {
            AtomicFile.Write(output, t => TiffWriter.Write(t, img, q, 16, BitMiracle.LibTiff.Classic.Compression.NONE, icc, "bench", metadata));
            return 0;
        });
        img.Dispose();
        list.Add(("total", new Sample(total.Elapsed.TotalMilliseconds, SelfCpuMs() - c00, ChildCpuMs() - k00)));
        return list;
    }

    [DllImport("libc", SetLastError = true)] private static extern int getrusage(int who, long[] usage);

    /// <summary>User + system milliseconds of this process.</summary>
    public static double SelfCpuMs()
    {
        var u = new long[18];
        return getrusage(0, u) == 0 ? (u[0] + u[1] / 1e6 + u[2] + u[3] / 1e6) * 1000 : double.NaN;
    }

    /// <summary>User + system milliseconds of all child processes: those already waited for (getrusage) plus the
    /// ones still running (exiftool -stay_open), read from /proc.</summary>
    public static double ChildCpuMs()
    {
        var u = new long[18];
        double reaped = getrusage(-1, u) == 0 ? (u[0] + u[1] / 1e6 + u[2] + u[3] / 1e6) * 1000 : 0;
        return reaped + LiveDescendantsMs(Environment.ProcessId);
    }

    private static double LiveDescendantsMs(int pid)
    {
        double ms = 0;
        try
        {
            foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    int c = int.Parse(child, CultureInfo.InvariantCulture);
                    string stat = File.ReadAllText($"/proc/{c}/stat");
                    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    // fields 14, 15 (utime, stime) of stat are 11, 12 after "pid (comm) "; clock ticks of 10 ms
                    ms += (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) * 10.0;
                    ms += LiveDescendantsMs(c);
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return ms;
    }

    private static int Arg(string[] args, string name, int dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : dflt;
    }
}
