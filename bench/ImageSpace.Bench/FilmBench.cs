using System.Diagnostics;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Core.Film;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Bench;

/// <summary>Negative inversion accuracy next to RawTherapee's Film Negative (rawtherapee-cli, apt rawtherapee) on the
/// same synthetic negatives: a chart frame and an orange-dominated frame of one roll. Both get the same 3×3 chart fit
/// on frame 1 against the truth, so the inversions are what is compared. ΔE2000 against the XYZ rendered from the
/// same spectra, each frame's exposure matched on the greys.</summary>
public static class FilmBench
{
    public static int Run()
    {
        string dir = Directory.CreateTempSubdirectory("imagespace-filmbench-").FullName;
        try
        {
            var film = new NegativeFilm();
            var p = new SceneParameters { Width = 1500, Height = 1000, PatchPitch = 90, RotationDeg = 4, Seed = 1 };
            var scene = NegativeSimulator.Write(Path.Combine(dir, "f1.dng"), p, film);
            NegativeSimulator.Write(Path.Combine(dir, "f2.dng"), p with { Seed = 2, DominantPatch = 7, RotationDeg = -20, ExposureEv = 0.5 }, film);
            string truth = Path.Combine(dir, "truth.csv");
            File.WriteAllLines(truth, new[] { "X,Y,Z" }.Concat(scene.PatchXyzD50.Select(v => FormattableString.Invariant($"{v.X},{v.Y},{v.Z}"))));

            foreach (bool unmix in new[] { true, false })
            {
                var o = new FilmOptions { Enabled = true, Unmix = unmix ? NegativeSimulator.Unmix(film) : null };
                var (roll, _) = Measurement.FilmChart(Path.Combine(dir, "f1.dng"), o, truth, model: ModelKind.Matrix);
                var pipe = new Pipeline(new Recipe { Film = o, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } }) { Roll = roll };
                foreach (var f in new[] { "f1", "f2" })
                {
                    using var d = pipe.Render(Path.Combine(dir, f + ".dng"));
                    var (mean, max) = Score(ChartDetector.Detect(d.Image).Patches.Select(x => WorkingSpace.ToXyzD50 * x.Rgb).ToArray(), scene);
                    Console.WriteLine($"Image Space ({(unmix ? "with" : "without")} crosstalk unmix) {f}: ΔE2000 mean {mean:0.00}, max {max:0.00}");
                }
            }

            if (!File.Exists("/usr/bin/rawtherapee-cli")) { Console.WriteLine("rawtherapee-cli not installed (apt install rawtherapee): no side-by-side"); return 0; }
            // RawTherapee: exponents 1/γ of the same stock (Portra 400 Status M), "physical" profile of the research notes.
            string pp3 = Path.Combine(dir, "fn.pp3");
            File.WriteAllText(pp3, "[White Balance]\nSetting=Camera\n\n[Color Management]\nInputProfile=(camera)\nWorkingProfile=sRGB\nOutputProfile=RTv4_sRGB\n\n" +
                                   "[Film Negative]\nEnabled=true\nGreenExponent=1.818\nRedRatio=1.0\nBlueRatio=0.859\nColorSpace=1\nRefInput=0;0;0;\nRefOutput=0;0;0;\n");
            Matrix3? fit = null;
            foreach (var f in new[] { "f1", "f2" })
            {
                string tif = Path.Combine(dir, $"rt_{f}.tif");
                var psi = new ProcessStartInfo("rawtherapee-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
                psi.Environment["HOME"] = dir;
                foreach (var a in new[] { "-q", "-Y", "-o", tif, "-t", "-b16", "-p", pp3, "-c", Path.Combine(dir, f + ".dng") }) psi.ArgumentList.Add(a);
                using (var proc = Process.Start(psi)!) { proc.StandardOutput.ReadToEnd(); proc.StandardError.ReadToEnd(); proc.WaitForExit(); }
                var (img, _) = ImageLoader.Load(tif); // RTv4_sRGB output: sRGB primaries and curve
                using (img)
                {
                    var det = ChartDetector.Detect(img);
                    if (!det.Found) { Console.WriteLine($"RawTherapee {f}: chart not found in its output"); continue; }
                    var rgb = det.Patches.Select(x => x.Rgb).ToArray();
                    if (fit is null)
                    {
                        var r = Calibrator.Calibrate(det.Patches, scene.PatchXyzD50, ModelKind.Matrix);
                        fit = r.Model.AsMatrix;
                    }
                    var (mean, max) = Score(rgb.Select(v => fit!.Value * v).ToArray(), scene);
                    var (rawMean, _) = Score(rgb.Select(v => WorkingSpace.ToXyzD50 * v).ToArray(), scene);
                    Console.WriteLine($"RawTherapee Film Negative (auto reference) + the same 3×3 chart fit {f}: ΔE2000 mean {mean:0.00}, max {max:0.00}  (without the fit: mean {rawMean:0.00})");
                }
            }
        }
        finally { Directory.Delete(dir, true); }
        NaturalRollSideBySide();
        return 0;
    }

    /// <summary>The natural-scene roll (chart frame + nine frames at −1.3…+1 EV): ΔE2000 on 16×16 blocks of the
    /// half-size picture (32×32 at full size) after one exposure scalar, and time per frame, for our chart path (no
    /// unmix given), our chartless roll analysis, and rawtherapee-cli's Film Negative with the same kind of 3×3 chart
    /// fit made on its output of the chart frame. Full-size output for both.</summary>
    private static void NaturalRollSideBySide()
    {
        string dir = Directory.CreateTempSubdirectory("imagespace-filmbench-natural-").FullName;
        try
        {
            using var roll = NaturalRoll.Write(dir, new NegativeFilm());
            string truth = Path.Combine(dir, "truth.csv");
            File.WriteAllLines(truth, new[] { "X,Y,Z" }.Concat(roll.Chart.PatchXyzD50.Select(v => FormattableString.Invariant($"{v.X},{v.Y},{v.Z}"))));
            var o = new FilmOptions { Enabled = true };
            var sw = Stopwatch.StartNew();
            var (chartRoll, _) = Measurement.FilmChart(roll.ChartPath, o, truth);
            Console.WriteLine($"natural roll: chart fit {sw.Elapsed.TotalSeconds:0.0} s — {chartRoll.Calibration!.Reason.Split(';')[0]}");
            sw.Restart();
            var analysed = Measurement.FilmRoll(roll.Frames.Select(f => f.Path).ToList(), o);
            Console.WriteLine($"natural roll: chartless analysis of {roll.Frames.Count} frames {sw.Elapsed.TotalSeconds:0.0} s");
            var ours = new Pipeline(new Recipe { Film = o }) { Roll = chartRoll };
            var oursRoll = new Pipeline(new Recipe { Film = o }) { Roll = analysed };
            bool rt = File.Exists("/usr/bin/rawtherapee-cli");
            string pp3 = Path.Combine(dir, "fn.pp3");
            File.WriteAllText(pp3, "[White Balance]\nSetting=Camera\n\n[Color Management]\nInputProfile=(camera)\nWorkingProfile=sRGB\nOutputProfile=RTv4_sRGB\n\n" +
                                   "[Film Negative]\nEnabled=true\nGreenExponent=1.818\nRedRatio=1.0\nBlueRatio=0.859\nColorSpace=1\nRefInput=0;0;0;\nRefOutput=0;0;0;\n");
            Matrix3? rtFit = null;
            if (rt)
            {
                using var chartOut = RunRawTherapee(dir, pp3, roll.ChartPath, out _);
                var det = chartOut is null ? null : ChartDetector.Detect(chartOut);
                if (det is { Found: true }) rtFit = WorkingSpace.FromXyzD50 * Calibrator.Calibrate(det.Patches, roll.Chart.PatchXyzD50, ModelKind.Matrix).Model.AsMatrix!.Value;
                else Console.WriteLine("RawTherapee: chart not found in its output of the chart frame; its frames are scored without a fit");
            }
            Console.WriteLine("frame  EV    | ours chart: ΔE mean / p90, ms | ours roll: ΔE mean / p90 | RawTherapee + 3×3: ΔE mean / p90, ms");
            foreach (var f in roll.Frames)
            {
                int rebate = NegativeSimulator.RebateWidth(f.Truth.Width);
                sw.Restart();
                using var a = ours.Render(f.Path);
                double ms = sw.Elapsed.TotalMilliseconds;
                var ra = BlockColourError.Score(a.Image, f.Truth, rebate, 32);
                using var b = oursRoll.Render(f.Path);
                var rb = BlockColourError.Score(b.Image, f.Truth, rebate, 32);
                string rtCell = "not installed (apt install rawtherapee)";
                if (rt)
                {
                    using var c = RunRawTherapee(dir, pp3, f.Path, out double rtMs);
                    if (c is null) rtCell = "failed";
                    else
                    {
                        if (rtFit is { } m) MatrixOperator.Apply(c, m);
                        var rc = BlockColourError.Score(c, f.Truth, rebate, 32);
                        rtCell = $"{rc.Mean,5:0.00} / {rc.P90,5:0.00}, {rtMs,5:0} ms";
                    }
                }
                Console.WriteLine($"{Path.GetFileNameWithoutExtension(f.Path)} {f.ExposureEv,5:+0.0;-0.0} | {ra.Mean,5:0.00} / {ra.P90,5:0.00}, {ms,5:0} ms | {rb.Mean,5:0.00} / {rb.P90,5:0.00} | {rtCell}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    private static RgbImage? RunRawTherapee(string dir, string pp3, string dng, out double ms)
    {
        string tif = Path.Combine(dir, "rt_" + Path.GetFileNameWithoutExtension(dng) + ".tif");
        var psi = new ProcessStartInfo("rawtherapee-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["HOME"] = dir;
        foreach (var a in new[] { "-q", "-Y", "-o", tif, "-t", "-b16", "-p", pp3, "-c", dng }) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using (var proc = Process.Start(psi)!) { proc.StandardOutput.ReadToEnd(); proc.StandardError.ReadToEnd(); proc.WaitForExit(); }
        ms = sw.Elapsed.TotalMilliseconds;
        if (!File.Exists(tif)) return null;
        var (img, _) = ImageLoader.Load(tif); // RTv4_sRGB: sRGB primaries and curve, decoded to linear working space
        return img;
    }

    private static (double mean, double max) Score(Vec3[] xyz, RenderedScene scene)
    {
        double k = Enumerable.Range(19, 3).Sum(i => scene.PatchXyzD50[i].Y) / Enumerable.Range(19, 3).Sum(i => xyz[i].Y);
        var de = xyz.Select((v, i) => DeltaE.Ciede2000Xyz(k * v, scene.PatchXyzD50[i], WhitePoints.D50)).ToArray();
        return (de.Average(), de.Max());
    }
}
