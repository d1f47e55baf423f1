using System.Diagnostics;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;
using ImageSpace.Core.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ImageSpace.Bench;

/// <summary>Demosaic quality (issue 17): full-colour images without demosaic artefacts (photos from ../shared/data
/// area-downscaled 4× (2× when smaller than 2400 px), dead-leaves and chart renders supersampled 4×), re-mosaiced RGGB into 14-bit DNGs (no noise),
/// decoded by each of our methods and by LibRaw (dcraw_emu -q 0/2/3/11) and RawTherapee (rawtherapee-cli RCD, AMaZE,
/// LMMSE) in the same run. Score: PSNR of sRGB-encoded values after a least-squares 3×3 onto the truth, and the share
/// of pixels with an error above 0.05 encoded (DemosaicScore).
/// Usage: ImageSpace.Bench demosaic [--keep DIR] [--xtrans-only] [--bayer-only] [--images NAME,NAME] [--methods PART,PART]
/// (--xtrans-only: only our X-Trans demosaic and dcraw_emu -q 3 on the X-Trans mosaics, for quick iteration;
/// --bayer-only: no X-Trans table; --images: only the scenes whose name contains one of the given parts, e.g.
/// karnehen,dead-leaves; --methods: only the Bayer methods whose name contains one of the parts, e.g. ours).
/// The same images are then mosaiced with the X-Trans 6×6 pattern and decoded by our X-Trans demosaic, LibRaw
/// (Markesteijn 1- and 3-pass) and RawTherapee.
/// Goals: our default (Full = RCD) ≥ RawTherapee RCD's PSNR on every image, artefact share ≤ RCD's; our X-Trans ≥
/// LibRaw's.</summary>
public static class DemosaicBench
{
    private static readonly string[] Photos =
    [
        "charts/jarrelscy_IMG_20140613_203438.jpg", "charts/jarrelscy_IMG_20140613_203518.jpg",
        "charts/karnehen_Canon350D_ClassicMini_seeds.jpg", "charts/syoyo_colorchart-iphone7plus-cloudy.jpg",
        "negatives/amoslu_positive_Gamma1.jpg",
    ];

    private sealed record Method(string Name, Func<string, string, RgbImage?> Decode);

    public static int Run(string[] args)
    {
        int keepAt = Array.IndexOf(args, "--keep");
        using var tmp = new Program.TempFolder();
        string dir = keepAt >= 0 && keepAt + 1 < args.Length ? Directory.CreateDirectory(args[keepAt + 1]).FullName : tmp.Path;
        bool xtransOnly = args.Contains("--xtrans-only");
        int imagesAt = Array.IndexOf(args, "--images");
        string[]? only = imagesAt >= 0 && imagesAt + 1 < args.Length ? args[imagesAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : null;
        bool haveRt = !xtransOnly && Which("rawtherapee-cli");
        if (!haveRt && !xtransOnly) Console.WriteLine("rawtherapee-cli not found (apt install rawtherapee): its columns are left out");

        var methods = new List<Method>
        {
            new("ours PPG", (dng, _) => Ours(dng, DemosaicMode.Ppg)),
            new("ours RCD (default)", (dng, _) => Ours(dng, DemosaicMode.Full)),
            new("ours LMMSE (quality)", (dng, _) => Ours(dng, DemosaicMode.Lmmse)),
            new("dcraw_emu -q 0 (bilinear)", (dng, d) => Dcraw(dng, d, "0")),
            new("dcraw_emu -q 2 (PPG)", (dng, d) => Dcraw(dng, d, "2")),
            new("dcraw_emu -q 3 (AHD)", (dng, d) => Dcraw(dng, d, "3")),
            new("dcraw_emu -q 11 (DHT)", (dng, d) => Dcraw(dng, d, "11")),
        };
        if (haveRt)
            foreach (var m in new[] { "rcd", "amaze", "lmmse" })
                methods.Add(new($"RawTherapee {m.ToUpperInvariant()}", (dng, d) => RawTherapee(dng, d, m)));

        int methodsAt = Array.IndexOf(args, "--methods");
        if (methodsAt >= 0 && methodsAt + 1 < args.Length)
        {
            var parts = args[methodsAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            methods.RemoveAll(m => !parts.Any(p => m.Name.Contains(p, StringComparison.OrdinalIgnoreCase)));
        }
        var scenes = Scenes(only).ToList();
        bool ok = xtransOnly || Table("Bayer (RGGB)", Mosaicker.Rggb, methods, scenes, dir, "ours RCD (default)", haveRt ? "RawTherapee RCD" : null);

        if (args.Contains("--bayer-only"))
        {
            foreach (var (_, t) in scenes) t.Dispose();
            return ok ? 0 : 1;
        }
        var xtrans = new List<Method>
        {
            new("ours X-Trans", (dng, _) => Ours(dng, DemosaicMode.Full)),
            new("dcraw_emu -q 2 (Markesteijn 1-pass)", (dng, d) => Dcraw(dng, d, "2")),
            new("dcraw_emu -q 3 (Markesteijn 3-pass)", (dng, d) => Dcraw(dng, d, "3")),
        };
        if (xtransOnly) xtrans.RemoveAt(1);
        if (haveRt)
            foreach (var m in new[] { "1-pass (medium)", "3-pass (best)" })
                xtrans.Add(new($"RawTherapee {m}", (dng, d) => RawTherapee(dng, d, m, xtrans: true)));
        ok &= Table("X-Trans (6x6; LibRaw needs ≥ 512 px each way)", Mosaicker.XTrans, xtrans, scenes, dir, "ours X-Trans", "dcraw_emu -q 3 (Markesteijn 3-pass)");
        foreach (var (_, t) in scenes) t.Dispose();
        return ok ? 0 : 1;
    }

    /// <summary>Mosaics every scene with the pattern, decodes with every method, prints per-image lines and a markdown
    /// table; true when <paramref name="ours"/> is at least as good as <paramref name="reference"/> on every image.</summary>
    private static bool Table(string title, int[] pattern, List<Method> methods, List<(string name, RgbImage truth)> scenes, string dir, string ours, string? reference)
    {
        Console.WriteLine($"\n######## {title}");
        var results = new Dictionary<(string scene, string method), DemosaicScore.Result>();
        foreach (var (name, truth) in scenes)
        {
            string dng = Path.Combine(dir, $"{name}_{pattern.Length}.dng");
            DngWriter.Write(dng, Mosaicker.Mosaic(truth, noise: 0, seed: 1, pattern), truth.Width, truth.Height, new DngInfo
            {
                Model = "Demosaic bench", ColorMatrix = RgbColorSpace.Srgb.FromXyz, // camera RGB = linear sRGB
                AsShotNeutral = new Vec3(1, 1, 1), CalibrationIlluminant = 21, CfaPattern = pattern,
            });
            Console.WriteLine($"== {name} ({truth.Width}x{truth.Height})");
            foreach (var m in methods)
            {
                RgbImage? img;
                try { img = m.Decode(dng, dir); }
                catch (RawDecodeException e) { Console.WriteLine($"  {m.Name,-36} failed: {e.Message}"); continue; }
                if (img is null) { Console.WriteLine($"  {m.Name,-36} failed"); continue; }
                using (img)
                {
                    var s = DemosaicScore.Compare(truth, img, border: 6);
                    results[(name, m.Name)] = s;
                    Console.WriteLine($"  {m.Name,-36} {s.PsnrDb,6:0.00} dB  {s.ArtefactShare * 100,6:0.00} %");
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("| method | " + string.Join(" | ", scenes.Select(s => s.name)) + " |");
        Console.WriteLine("|---|" + string.Concat(scenes.Select(_ => "---|")));
        foreach (var m in methods)
            Console.WriteLine($"| {m.Name} | " + string.Join(" | ", scenes.Select(s =>
                results.TryGetValue((s.name, m.Name), out var r) ? $"{r.PsnrDb:0.00} / {r.ArtefactShare * 100:0.00} %" : "–")) + " |");
        const string lmmse = "ours LMMSE (quality)", rtLmmse = "RawTherapee LMMSE";
        var both = scenes.Where(s => results.ContainsKey((s.name, lmmse)) && results.ContainsKey((s.name, rtLmmse))).ToList();
        if (both.Count > 0)
            Console.WriteLine($"\n{lmmse} − {rtLmmse} (dB / artefact points): " + string.Join(", ", both.Select(s =>
                $"{s.name} {results[(s.name, lmmse)].PsnrDb - results[(s.name, rtLmmse)].PsnrDb:+0.00;-0.00} / {(results[(s.name, lmmse)].ArtefactShare - results[(s.name, rtLmmse)].ArtefactShare) * 100:+0.00;-0.00}")));
        if (reference is null) return true;
        var compared = scenes.Where(s => results.ContainsKey((s.name, reference)) && results.ContainsKey((s.name, ours))).ToList();
        bool met = compared.All(s => results[(s.name, ours)].PsnrDb >= results[(s.name, reference)].PsnrDb
                                     && results[(s.name, ours)].ArtefactShare <= results[(s.name, reference)].ArtefactShare);
        Console.WriteLine($"\ngoal ({ours} ≥ {reference} in PSNR and ≤ in artefact share on each of the {compared.Count} images both decoded): {(met ? "met" : "NOT met")}");
        return met;
    }

    /// <summary>The truth images, linear sRGB scaled to at most 0.9 (no clipping in any decoder).</summary>
    private static IEnumerable<(string name, RgbImage truth)> Scenes(string[]? only)
    {
        bool Wanted(string name) => only is null || only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase));
        foreach (var rel in Photos)
        {
            if (!Wanted(Path.GetFileNameWithoutExtension(rel))) continue;
            string? path = Program.FindShared(rel);
            if (path is null) { Console.WriteLine($"({rel} not in the shared data: skipped)"); continue; }
            using var full = LoadLinearSrgb(path);
            using var small0 = AreaDownscale.By(full, full.Width >= 2400 ? 4 : 2); // at least 2×: no trace of the camera's own demosaic
            var small = EvenCrop(small0);
            Scale(small, 0.9f);
            yield return (Path.GetFileNameWithoutExtension(rel), small);
        }
        if (Wanted("dead-leaves"))
        {
            using var leaves = DeadLeaves.Render(4 * 640, 4 * 544, seed: 17, minRadius: 4, maxRadius: 600);
            yield return ("dead-leaves", AreaDownscale.By(leaves, 4));
        }
        if (!Wanted("chart-render")) yield break;
        var chart = ChartScene.Render(new SceneParameters { Width = 4 * 640, Height = 4 * 544, PatchPitch = 4 * 40, RotationDeg = 12, TiltDeg = 20, Noise = 0, Camera = "luther" });
        using (chart.CameraRgb)
        {
            var t = AreaDownscale.By(chart.CameraRgb, 4);
            Scale(t, 0.9f / Math.Max(1e-6f, Max(t)));
            yield return ("chart-render", t);
        }
    }

    /// <summary>Even width and height (RawTherapee refuses some odd-sized DNGs).</summary>
    private static RgbImage EvenCrop(RgbImage src)
    {
        int w = src.Width & ~1, h = src.Height & ~1;
        var dst = new RgbImage(w, h);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++) src.Plane(c).AsSpan(y * src.Width, w).CopyTo(dst.Plane(c).AsSpan(y * w));
        return dst;
    }

    private static float Max(RgbImage img) => Math.Max(img.R.Max(), Math.Max(img.G.Max(), img.B.Max()));

    private static void Scale(RgbImage img, float k)
    {
        for (int c = 0; c < 3; c++)
        {
            var p = img.Plane(c);
            for (int i = 0; i < img.PixelCount; i++) p[i] *= k;
        }
    }

    private static RgbImage LoadLinearSrgb(string path)
    {
        using var image = Image.Load<Rgb48>(path);
        return FromRgb48(image, srgbEncoded: true);
    }

    private static RgbImage FromRgb48(Image<Rgb48> image, bool srgbEncoded)
    {
        var img = new RgbImage(image.Width, image.Height);
        var lut = new float[65536];
        for (int i = 0; i < lut.Length; i++) lut[i] = srgbEncoded ? (float)TransferFunction.Srgb.Decode(i / 65535.0) : i / 65535f;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0, i = y * img.Width; x < row.Length; x++, i++)
                {
                    img.R[i] = lut[row[x].R]; img.G[i] = lut[row[x].G]; img.B[i] = lut[row[x].B];
                }
            }
        });
        return img;
    }

    private static RgbImage Ours(string dng, DemosaicMode mode) => RawDecoder.Decode(dng, new DecodeOptions
    {
        Demosaic = mode, Output = ColorOutput.Camera, AdjustMaximumThreshold = 0, ApplyOrientation = false,
    }).Image;

    private static RgbImage? Dcraw(string dng, string dir, string quality)
    {
        string copy = Path.Combine(dir, $"dcraw_q{quality}_{Path.GetFileName(dng)}");
        File.Copy(dng, copy, true);
        // linear 16-bit camera RGB, camera WB (AsShotNeutral = 1), no auto-brightening
        bool ok = RunTool("dcraw_emu", "-4", "-T", "-o", "0", "-w", "-q", quality, copy);
        string tiff = copy + ".tiff";
        File.Delete(copy);
        if (!ok || !File.Exists(tiff)) return null;
        try { using var t = Image.Load<Rgb48>(tiff); return FromRgb48(t, srgbEncoded: false); }
        finally { File.Delete(tiff); }
    }

    /// <summary>rawtherapee-cli with a profile that sets only the demosaic (on top of RawTherapee's neutral profile:
    /// no curves, no sharpening); output 16-bit sRGB TIFF, decoded back to linear.</summary>
    private static RgbImage? RawTherapee(string dng, string dir, string method, bool xtrans = false)
    {
        string pp3 = Path.Combine(dir, $"rt_{method.Replace(' ', '_')}.pp3");
        File.WriteAllText(pp3, string.Join('\n',
            "[Version]", "AppVersion=5.9", "Version=348", "",
            xtrans ? "[RAW X-Trans]" : "[RAW Bayer]", $"Method={method}", "Border=4", "CcSteps=0", "LineDenoise=0", "GreenEqThreshold=0", "LMMSEIterations=2", "",
            "[RAW]", "CA=false", "HotPixelFilter=false", "DeadPixelFilter=false", "",
            "[Color Management]", "OutputProfile=RTv4_sRGB", "") + "\n");
        string outFile = Path.Combine(dir, $"rt_{method.Replace(' ', '_')}_{Path.GetFileNameWithoutExtension(dng)}.tif");
        bool ok = RunTool("rawtherapee-cli", "-q", "-Y", "-o", outFile, "-p", pp3, "-t", "-b16", "-c", dng);
        if (!ok || !File.Exists(outFile)) return null;
        try { using var t = Image.Load<Rgb48>(outFile); return FromRgb48(t, srgbEncoded: true); }
        finally { File.Delete(outFile); }
    }

    private static bool RunTool(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) Console.WriteLine($"  {tool} failed: {err.Result.Trim().Split('\n').LastOrDefault()}");
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static bool Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
