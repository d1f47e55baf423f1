using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>A natural-scene roll shared by the tests below: a chart frame and nine dead-leaves frames at −1.3…+1 EV
/// (<see cref="NaturalRoll"/>), with their truth.</summary>
public sealed class NaturalRollFixture : IDisposable
{
    public TempDir Dir { get; } = new();
    public NaturalRoll.Roll Roll { get; }
    public string Truth => Dir["truth.csv"];

    public NaturalRollFixture()
    {
        Roll = NaturalRoll.Write(Dir.Path, new NegativeFilm());
        File.WriteAllLines(Truth, new[] { "X,Y,Z" }.Concat(Roll.Chart.PatchXyzD50.Select(v => FormattableString.Invariant($"{v.X},{v.Y},{v.Z}"))));
    }

    public void Dispose() { Roll.Dispose(); Dir.Dispose(); }
}

public class NaturalRollTests(NaturalRollFixture fx, ITestOutputHelper log) : IClassFixture<NaturalRollFixture>
{
    private static Pipeline Half(FilmOptions o, RollProfile? roll) =>
        new(new Recipe { Film = o, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } }) { Roll = roll };

    private List<BlockColourError.Result> ScoreAll(Pipeline p, string label)
    {
        var results = new List<BlockColourError.Result>();
        foreach (var f in fx.Roll.Frames)
        {
            using var d = p.Render(f.Path);
            var buckets = new Dictionary<string, List<double>>();
            var r = BlockColourError.Score(d.Image, f.Truth, NegativeSimulator.RebateWidth(f.Truth.Width), perBlock: (lt, lo, de) =>
            {
                string key = $"L{(int)(lt.X / 20) * 20}-C{(Core.Color.Lab.Chroma(lt) < 10 ? 0 : Core.Color.Lab.Chroma(lt) < 25 ? 10 : 25)}";
                if (!buckets.ContainsKey(key)) buckets[key] = new();
                buckets[key].Add(de);
            });
            if (Math.Abs(f.ExposureEv) < 0.01) log.WriteLine(string.Join("  ", buckets.OrderBy(b => b.Key).Select(b => $"{b.Key}:{b.Value.Average():0.0}({b.Value.Count})")));
            log.WriteLine($"{label} {Path.GetFileName(f.Path)} ({f.ExposureEv:+0.0;-0.0} EV): ΔE2000 mean {r.Mean:0.00}, p90 {r.P90:0.00}; greys ({r.GreyBlocks}) cast a* {r.GreyCastA:+0.00;-0.00} b* {r.GreyCastB:+0.00;-0.00}, p95 |Δa*|,|Δb*| {r.GreyP95Ab:0.00}; brightest ×{r.BrightestRatio:0.00}; {string.Join(" | ", d.Warnings)}");
            results.Add(r);
        }
        return results;
    }

    [Fact]
    public void Chart_path_meets_the_bar_on_every_natural_frame()
    {
        // No --unmix: the rig's crosstalk is fitted from the chart frame.
        var o = new FilmOptions { Enabled = true };
        var (roll, _) = Measurement.FilmChart(fx.Roll.ChartPath, o, fx.Truth);
        log.WriteLine(roll.Calibration!.Reason);
        Assert.NotNull(roll.Unmix); // the chosen model undoes a fitted crosstalk
        foreach (var r in ScoreAll(Half(o, roll), "chart"))
        {
            Assert.True(r.Mean <= 2.0 && r.P90 <= 4.0, $"ΔE2000 mean {r.Mean:0.00}, p90 {r.P90:0.00}");
            Assert.True(r.BrightestRatio <= 8, $"brightest ×{r.BrightestRatio:0.0}");
        }
    }

    [Fact]
    public void Roll_analysis_without_a_chart_keeps_greys_neutral_on_every_frame()
    {
        var o = new FilmOptions { Enabled = true };
        var analysed = Measurement.FilmRoll(fx.Roll.Frames.Select(f => f.Path).ToList(), o);
        var results = ScoreAll(Half(o, analysed), "roll");
        foreach (var r in results)
        {
            Assert.True(Math.Abs(r.GreyCastA) <= 2.0 && Math.Abs(r.GreyCastB) <= 2.0, $"grey cast a* {r.GreyCastA:0.00}, b* {r.GreyCastB:0.00}");
            // Issue 14's bar. The simulated rig's crosstalk differs from the typical one the analysis assumes
            // (ScannerCrosstalk: green row 0.86 here against 0.63 there), so this is not the rule checking itself.
            Assert.True(r.Mean <= 3.5, $"ΔE2000 mean {r.Mean:0.00}");
            Assert.True(r.BrightestRatio <= 8, $"brightest ×{r.BrightestRatio:0.0}");
        }
        // The roll's exposure comes from the film: a normally exposed frame lands within half a stop of its scene, and
        // every frame keeps its own exposure (the scalar the score needed, times 2^EV, is the same on every frame).
        var frames = fx.Roll.Frames.Zip(results).ToList();
        double normal = Math.Log2(frames.Single(t => t.First.ExposureEv == 0).Second.Scale);
        log.WriteLine($"exposure the score applied, log2: {string.Join(" ", frames.Select(t => $"{Math.Log2(t.Second.Scale):+0.00;-0.00}"))}");
        Assert.InRange(normal, -0.5, 0.5);
        foreach (var (f, r) in frames) Assert.InRange(Math.Log2(r.Scale) + f.ExposureEv - normal, -0.3, 0.3);
        // One balance for the roll: the greys' cast may not wander from frame to frame.
        Assert.True(results.Max(r => r.GreyCastB) - results.Min(r => r.GreyCastB) <= 1.5);
        Assert.True(results.Max(r => r.GreyCastA) - results.Min(r => r.GreyCastA) <= 1.5);
    }

    [Fact]
    public void Rebate_and_sprocket_holes_are_found_and_cropped()
    {
        // The simulated frames have the rebate (base and fog, with sprocket holes) at both sides, RebateWidth wide, and
        // the picture reaching the top and bottom edges.
        foreach (var f in new[] { fx.Roll.Frames[0], fx.Roll.Frames[4], fx.Roll.Frames[^1] })
        {
            var o = new FilmOptions { Enabled = true, CropRebate = true };
            var stage = Half(o, null).Decode(f.Path);
            int w = stage.Decoded.Image.Width, h = stage.Decoded.Image.Height;
            double rebate = NegativeSimulator.RebateWidth(f.Truth.Width) * stage.Context.Scale;
            FrameBorder.Area area;
            using (stage.Decoded) area = FrameBorder.Detect(stage.Decoded.Image, FilmAnalysis.EstimateBase(stage.Decoded.Image));
            log.WriteLine($"{Path.GetFileName(f.Path)} ({f.ExposureEv:+0.0;-0.0} EV): picture {area} of {w}×{h}, rebate {rebate:0} px at each side");
            // Within a few pixels of the truth, and never keeping a rebate column.
            Assert.InRange(area.X, rebate, rebate + 4);
            Assert.InRange(w - (area.X + area.Width), rebate, rebate + 4);
            Assert.Equal((0, h), (area.Y, area.Height));
            using var d = Half(o, null).Render(f.Path);
            Assert.Equal((area.Width, area.Height), (d.Image.Width, d.Image.Height));
        }
    }

    [Fact]
    public void A_TIFF_scan_of_the_negative_goes_through_the_same_path()
    {
        // The frame's camera RGB written as a 16-bit sRGB-encoded TIFF (what a scanning app exports, without its tone
        // curve), then processed as a photo: same crop, same inversion, same colour error as the DNG within the
        // 16-bit quantisation.
        var f = fx.Roll.Frames[4];
        var o = new FilmOptions { Enabled = true, CropRebate = true };
        string tiff = fx.Dir["frame_05_scan.tif"];
        var stage = Half(o, null).Decode(f.Path);
        using (stage.Decoded)
            Core.Export.AtomicFile.Write(tiff, tmp => Core.Export.TiffWriter.Write(tmp, stage.Decoded.Image, new Core.Export.Quantizer(Core.Color.TransferFunction.Srgb), 16,
                BitMiracle.LibTiff.Classic.Compression.DEFLATE, null, "negative scan"));
        using var fromDng = Half(o, null).Render(f.Path);
        using var fromTiff = Half(o, null).Render(tiff);
        Assert.Equal((fromDng.Image.Width, fromDng.Image.Height), (fromTiff.Image.Width, fromTiff.Image.Height));
        var uncropped = o with { CropRebate = false };
        using var dng = Half(uncropped, null).Render(f.Path);
        using var tif = Half(uncropped, null).Render(tiff);
        int rebate = NegativeSimulator.RebateWidth(f.Truth.Width);
        var a = BlockColourError.Score(dng.Image, f.Truth, rebate);
        var b = BlockColourError.Score(tif.Image, f.Truth, rebate);
        log.WriteLine($"DNG ΔE2000 mean {a.Mean:0.00}, TIFF {b.Mean:0.00}; cropped {fromTiff.Image.Width}×{fromTiff.Image.Height}");
        Assert.InRange(b.Mean, a.Mean - 0.15, a.Mean + 0.15);
    }

    [Fact]
    public void Per_frame_automatic_inversion_has_no_blown_pixels()
    {
        var o = new FilmOptions { Enabled = true };
        foreach (var f in new[] { fx.Roll.Frames[0], fx.Roll.Frames[^1] })
        {
            using var d = Half(o, null).Render(f.Path);
            var r = BlockColourError.Score(d.Image, f.Truth, NegativeSimulator.RebateWidth(f.Truth.Width));
            log.WriteLine($"per-frame auto {Path.GetFileName(f.Path)}: ΔE2000 mean {r.Mean:0.00}, brightest ×{r.BrightestRatio:0.00}");
            Assert.True(r.BrightestRatio <= 8, $"brightest ×{r.BrightestRatio:0.0}");
        }
    }
}

public class ScannerCrosstalkTests
{
    /// <summary>The share of each camera channel's signal under D50 (400–700 nm) that falls in each band, a band being
    /// the wavelengths where that channel (balanced on the light) sees most — computed here from the reference
    /// sensitivities, independently of the product's constant.</summary>
    private static double[,] Derive(SpectralCamera cam)
    {
        var light = SpectralData.Illuminant("D50");
        var s = cam.Sensitivities;
        int first = (400 - SpectralData.Start) / SpectralData.Step, last = (700 - SpectralData.Start) / SpectralData.Step;
        var area = new double[3];
        for (int c = 0; c < 3; c++) for (int i = first; i <= last; i++) area[c] += s[c][i] * light[i];
        var m = new double[3, 3];
        for (int i = first; i <= last; i++)
        {
            int band = Enumerable.Range(0, 3).MaxBy(c => s[c][i] / area[c]);
            for (int c = 0; c < 3; c++) m[c, band] += s[c][i] * light[i];
        }
        for (int c = 0; c < 3; c++) { double sum = m[c, 0] + m[c, 1] + m[c, 2]; for (int b = 0; b < 3; b++) m[c, b] /= sum; }
        return m;
    }

    [Fact]
    public void Typical_crosstalk_is_what_published_camera_sensitivities_give()
    {
        var canon = Derive(SpectralCamera.CanonEos5DMarkII());
        var nikon = Derive(SpectralCamera.NikonD5100());
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
            {
                Assert.InRange(ScannerCrosstalk.Typical[3 * r + c], (canon[r, c] + nikon[r, c]) / 2 - 0.005, (canon[r, c] + nikon[r, c]) / 2 + 0.005);
                Assert.InRange(Math.Abs(canon[r, c] - nikon[r, c]), 0, 0.1); // two different sensors, one typical rig
            }
        // The natural roll's simulated rig is not this one (its green channel sees far less of the other bands).
        double[] sim = new NegativeFilm().Crosstalk;
        Assert.True(Enumerable.Range(0, 9).Max(i => Math.Abs(sim[i] - ScannerCrosstalk.Typical[i])) > 0.15);
    }
}

public class SafeInversionTests
{
    [Fact]
    public void Dense_noise_and_negative_pixels_are_held_at_the_floor_and_counted()
    {
        // A frame of film at transmittance 0.1 (base 0.8) with a dense patch at 0.02 and five broken pixels (≤ 0,
        // as demosaic overshoot or noise leave them): without a floor they would invert to 10^(D/γ) → ∞.
        using var img = new Core.Imaging.RgbImage(200, 200);
        for (int i = 0; i < img.PixelCount; i++) img.R[i] = img.G[i] = img.B[i] = (i % 200 > 80 && i % 200 < 120 && i / 200 > 80 && i / 200 < 120) ? 0.02f : 0.1f;
        int[] broken = [20100, 20101, 30150, 15050, 35070];
        foreach (int i in broken) { img.R[i] = -0.01f; img.G[i] = 0; img.B[i] = 1e-7f; }
        var p = new InversionParameters([0.8, 0.8, 0.8], [0.6, 0.6, 0.6], [0, 0, 0], null, 0, [0, 0, 0], false);
        var inv = new NegativeInverter(p);
        inv.Apply(img, new OperatorContext(new RawMetadata(), 1));
        double dense = 0.18 * Math.Pow(0.8 / 0.02, 1 / 0.6);
        float max = 0;
        for (int i = 0; i < img.PixelCount; i++) { Assert.True(float.IsFinite(img.R[i]) && float.IsFinite(img.G[i]) && float.IsFinite(img.B[i])); max = Math.Max(max, img.G[i]); }
        // The floor sits 0.1 density under the densest real film: at most 10^(0.1/γ) ≈ 1.47× brighter than it.
        Assert.InRange(max, dense * 0.99, dense * Math.Pow(10, 0.1 / 0.6) * 1.01);
        Assert.Equal(broken.Length, inv.FloorHits);
        Assert.Contains("5 pixels", inv.FloorWarning(img.PixelCount));
    }

    [Fact]
    public void Smoothness_check_rejects_a_mapping_that_folds_over()
    {
        // Chart-like negative values: patches 19–24 a grey ramp (white densest), the others colours in between.
        double[] b = [0.8, 0.8, 0.8];
        var rng = new Random(5);
        var measured = Enumerable.Range(0, 24).Select(i =>
        {
            double[] d = i >= 18 ? [1.2 - 0.18 * (i - 18), 1.2 - 0.18 * (i - 18), 1.2 - 0.18 * (i - 18)] : [0.4 + 0.7 * rng.NextDouble(), 0.4 + 0.7 * rng.NextDouble(), 0.4 + 0.7 * rng.NextDouble()];
            return new Core.Color.Vec3(b[0] * Math.Pow(10, -d[0]), b[1] * Math.Pow(10, -d[1]), b[2] * Math.Pow(10, -d[2]));
        }).ToArray();
        Core.Color.Vec3 Smooth(Core.Color.Vec3 v) => new(Math.Pow(b[0] / v.X, 1.6), Math.Pow(b[1] / v.Y, 1.6), Math.Pow(b[2] / v.Z, 1.6));
        // A polynomial-like extrapolation that turns back down just beyond the chart's white.
        Core.Color.Vec3 Folding(Core.Color.Vec3 v) { var s = Smooth(v); double y = s.Y - 3e-5 * s.Y * s.Y * s.Y; return new(s.X, y, s.Z); }
        Assert.True(FilmModelFit.Smoothness(Smooth, measured, b).ok);
        var (ok, note) = FilmModelFit.Smoothness(Folding, measured, b);
        Assert.False(ok, note);
    }
}

