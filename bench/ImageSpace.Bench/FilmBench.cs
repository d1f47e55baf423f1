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
        return 0;
    }

    private static (double mean, double max) Score(Vec3[] xyz, RenderedScene scene)
    {
        double k = Enumerable.Range(19, 3).Sum(i => scene.PatchXyzD50[i].Y) / Enumerable.Range(19, 3).Sum(i => xyz[i].Y);
        var de = xyz.Select((v, i) => DeltaE.Ciede2000Xyz(k * v, scene.PatchXyzD50[i], WhitePoints.D50)).ToArray();
        return (de.Average(), de.Max());
    }
}
