using System.Diagnostics;
using System.Text.Json;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Core.Synthetic;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>The ΔE2000-optimised fits and the default model choice, on spectral chart scenes of cameras the fitter was
/// not developed on (Jiang et al. 2013 sensitivities) under five standard lights, against the published reference.</summary>
public class DeltaEFitTests(ITestOutputHelper log)
{
    private static readonly string[] Illuminants = ["D50", "D65", "A", "FL2", "FL11"];

    private static ChartDetection Chart(string camera, string illuminant, int seed = 3)
    {
        var p = new SceneParameters { Width = 900, Height = 650, PatchPitch = 70, RotationDeg = 7, TiltDeg = 6, Camera = camera, Illuminant = illuminant, Noise = 1, Seed = seed };
        var scene = ChartScene.Render(p);
        using var img = SceneInWorkingSpace.Render(scene, seed);
        var d = ChartDetector.Detect(img);
        Assert.True(d.Found, $"{camera} {illuminant}: chart not found");
        return d;
    }

    [Theory]
    [InlineData("nikon-d3")]
    [InlineData("sony-nex-5n")]
    [InlineData("phase-one")]
    public void Default_fit_is_as_good_as_the_best_delta_e_matrix_on_cameras_outside_our_data(string camera)
    {
        var reference = ColorCheckerReference.After2014.XyzD50;
        foreach (var ill in Illuminants)
        {
            var d = Chart(camera, ill);
            var sw = Stopwatch.StartNew();
            var r = Calibrator.Calibrate(d.Patches, reference);
            double seconds = sw.Elapsed.TotalSeconds;
            var e = r.Evaluation;
            var ls = r.Candidates.First(c => c is { Kind: ModelKind.Matrix, Fit: FitObjective.LeastSquares });
            double best = BestMatrixMeanDeltaE(d.Patches.Select(x => x.Rgb).ToArray(), reference);
            log.WriteLine($"{camera,-12} {ill,-5} default {e.Name,-32} mean {e.Mean:0.00} max {e.Max:0.00} | LOO mean {e.LooMean:0.00} max {e.LooMax:0.00} | " +
                          $"LS 3×3 {ls.Mean:0.00}/{ls.Max:0.00} (LOO {ls.LooMean:0.00}/{ls.LooMax:0.00}) | best ΔE 3×3 (independent) {best:0.00} | {seconds:0.00} s");
            foreach (var c in r.Candidates) log.WriteLine($"      {c.Name,-34} {c.Mean:0.00}/{c.Max:0.00}  LOO {c.LooMean:0.00}/{c.LooMax:0.00}");
            Assert.True(e.Mean <= best + 0.1, $"{camera} {ill}: default mean {e.Mean:0.00} vs best ΔE-optimised 3×3 {best:0.00}");
            Assert.True(double.IsFinite(e.LooMean) && e.LooMean > 0 && e.LooMax >= e.LooMean, "leave-one-out reported");
        }
    }

    /// <summary>The best mean ΔE2000 a 3×3 matrix reaches on these patches, found independently of the production
    /// fitter: a plain least-squares start, then Nelder–Mead restarted from its own result until it stops improving.</summary>
    private static double BestMatrixMeanDeltaE(Vec3[] rgb, Vec3[] xyz)
    {
        var a = Matrix<double>.Build.Dense(rgb.Length, 3, (i, j) => rgb[i][j]);
        var lab = xyz.Select(v => Lab.FromXyz(v, WhitePoints.D50)).ToArray();
        var x = Vector<double>.Build.Dense(9);
        for (int ch = 0; ch < 3; ch++)
            x.SetSubVector(3 * ch, 3, a.Solve(Vector<double>.Build.Dense(rgb.Length, i => xyz[i][ch])));
        double Mean(Vector<double> m) => rgb.Select((v, i) => DeltaE.Ciede2000(Lab.FromXyz(new Vec3(
            m[0] * v.X + m[1] * v.Y + m[2] * v.Z, m[3] * v.X + m[4] * v.Y + m[5] * v.Z, m[6] * v.X + m[7] * v.Y + m[8] * v.Z), WhitePoints.D50), lab[i])).Average();
        double f = Mean(x);
        for (int restart = 0; restart < 8; restart++)
        {
            try
            {
                var r = NelderMeadSimplex.Minimum(ObjectiveFunction.Value(Mean), x, 1e-10, 20000);
                if (r.FunctionInfoAtMinimum.Value >= f - 1e-6) { f = Math.Min(f, r.FunctionInfoAtMinimum.Value); break; }
                (x, f) = (r.MinimizingPoint, r.FunctionInfoAtMinimum.Value);
            }
            catch (MaximumIterationsException) { break; }
        }
        return f;
    }

    [Fact]
    public void Refine_is_never_worse_than_the_least_squares_fit_it_starts_from()
    {
        var reference = ColorCheckerReference.After2014.XyzD50;
        foreach (var (camera, ill) in new[] { ("nikon-d5100", "A"), ("canon-5d2", "FL11"), ("sony-nex-5n", "D65") })
        {
            var d = Chart(camera, ill, seed: 8);
            foreach (var kind in Enum.GetValues<ModelKind>())
            {
                var ls = Calibrator.Calibrate(d.Patches, reference, kind).Evaluation;
                var refined = Calibrator.Calibrate(d.Patches, reference, kind, refine: true);
                log.WriteLine($"{camera} {ill} {kind}: least squares {ls.Mean:0.000}, refined {refined.Evaluation.Mean:0.000} (LOO {refined.Evaluation.LooMean:0.00})");
                Assert.Equal(FitObjective.DeltaE2000, refined.Model.Fit);
                Assert.True(refined.Evaluation.Mean <= ls.Mean + 1e-9, $"{camera} {ill} {kind}: refined {refined.Evaluation.Mean:0.000} > {ls.Mean:0.000}");
                if (kind == ModelKind.NeutralMatrix)
                {
                    // The refinement keeps the constraint: the mean grey still maps to the reference white.
                    var grey = d.Patches.Skip(19).Take(3).Select(p => p.Rgb).Aggregate((a, b) => a + b);
                    var white = Lab.FromXyz(refined.Model.ToXyzD50(grey), 3 * WhitePoints.D50);
                    Assert.True(Lab.Chroma(white) < 0.3, $"mean grey C* {Lab.Chroma(white):0.00}");
                }
            }
        }
    }

    [Fact]
    public void Calibrate_refine_on_a_chart_frame_succeeds_and_saves_the_fit_kind()
    {
        using var dir = new TempDir();
        SyntheticDng.Write(dir["chart.dng"], new SceneParameters { Width = 1000, Height = 700, PatchPitch = 70, Illuminant = "A", Camera = "canon-5d2" });
        var plain = Cli.Run("calibrate", dir["chart.dng"], "--json", "-o", dir["plain.json"], "--model", "matrix");
        var refined = Cli.Run("calibrate", dir["chart.dng"], "--json", "-o", dir["refined.json"], "--model", "matrix", "--refine", "--report", dir["report"]);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.True(refined.ExitCode == 0, refined.Stderr);
        var a = CalibrationProfile.Load(dir["plain.json"]);
        var b = CalibrationProfile.Load(dir["refined.json"]);
        Assert.Equal(FitObjective.LeastSquares, a.Fit);
        Assert.Equal(FitObjective.DeltaE2000, b.Fit);
        Assert.True(b.DeltaE.Mean <= a.DeltaE.Mean, $"refined {b.DeltaE.Mean} vs {a.DeltaE.Mean}");
        Assert.Contains("\"fit\": \"delta_e2000\"", File.ReadAllText(dir["refined.json"]));
        Assert.Contains("Matrix</b>, ΔE2000-optimised", File.ReadAllText(dir["report/chart_report.html"]));
        Assert.Equal(b.DeltaE.Mean, JsonDocument.Parse(refined.Stdout).RootElement.GetProperty("deltaE").GetProperty("mean").GetDouble(), 6);
    }
}
