using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;
using Xunit.Abstractions;

namespace ImageSpace.Tests;

/// <summary>One synthetic roll shared by the film tests: a chart frame, an orange-dominated frame (+0.5 EV), a frame on
/// a grey surround; and the truth as a reference CSV (XYZ rendered from the same spectra).</summary>
public sealed class NegativeRoll : IDisposable
{
    public TempDir Dir { get; } = new();
    public NegativeFilm Film { get; } = new();
    public RenderedScene Scene { get; }
    public string Truth => Dir["truth.csv"];
    public string Frame(int i) => Dir[$"neg_{i}.dng"];

    public NegativeRoll()
    {
        var p = new SceneParameters { Width = 1500, Height = 1000, PatchPitch = 90, RotationDeg = 4, Seed = 1 };
        Scene = NegativeSimulator.Write(Frame(1), p, Film);
        NegativeSimulator.Write(Frame(2), p with { Seed = 2, DominantPatch = 7, RotationDeg = -20, ExposureEv = 0.5 }, Film);
        NegativeSimulator.Write(Frame(3), p with { Seed = 3, DominantPatch = 21, RotationDeg = 12 }, Film);
        File.WriteAllLines(Truth, new[] { "X,Y,Z" }.Concat(Scene.PatchXyzD50.Select(v => FormattableString.Invariant($"{v.X},{v.Y},{v.Z}"))));
    }

    public void Dispose() => Dir.Dispose();
}

public class FilmTests(NegativeRoll roll, ITestOutputHelper log) : IClassFixture<NegativeRoll>
{
    private FilmOptions Options(bool unmix = true) => new() { Enabled = true, Unmix = unmix ? NegativeSimulator.Unmix(roll.Film) : null };

    /// <summary>ΔE2000 of the processed frame's chart against the truth (exposure matched on the greys: a frame's
    /// own exposure is free), and the largest |a*|, |b*| of the greys.</summary>
    private (double mean, double max, double greyAb) Measure(Pipeline pipeline, int frame)
    {
        using var d = pipeline.Render(roll.Frame(frame));
        var chart = ChartDetector.Detect(d.Image);
        Assert.True(chart.Found, $"no chart in the positive of frame {frame}: {chart.Note}");
        var xyz = chart.Patches.Select(p => WorkingSpace.ToXyzD50 * p.Rgb).ToArray();
        double k = Enumerable.Range(19, 3).Sum(i => roll.Scene.PatchXyzD50[i].Y) / Enumerable.Range(19, 3).Sum(i => xyz[i].Y);
        var de = xyz.Select((v, i) => DeltaE.Ciede2000Xyz(k * v, roll.Scene.PatchXyzD50[i], WhitePoints.D50)).ToArray();
        double ab = Enumerable.Range(18, 6).Select(i => Lab.FromXyz(k * xyz[i], WhitePoints.D50)).Max(l => Math.Max(Math.Abs(l.Y), Math.Abs(l.Z)));
        return (de.Average(), de.Max(), ab);
    }

    private Pipeline Half(FilmOptions o) => new(new Recipe { Film = o, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } });

    [Fact]
    public void Chart_calibrated_roll_meets_the_bars_on_every_frame()
    {
        var (rollProfile, _) = Measurement.FilmChart(roll.Frame(1), Options(), roll.Truth);
        var pipeline = Half(Options()); pipeline.Roll = rollProfile;
        foreach (int f in new[] { 1, 2 })
        {
            var (mean, max, ab) = Measure(pipeline, f);
            log.WriteLine($"frame {f} with frame 1's roll profile: mean ΔE2000 {mean:0.00}, max {max:0.00}, greys |a*|,|b*| ≤ {ab:0.00}");
            Assert.True(mean <= 1.0 && max <= 2.5, $"frame {f}: {mean:0.00}/{max:0.00}");
            Assert.True(ab <= 1.5, $"frame {f}: grey |a*|,|b*| {ab:0.00}");
        }
    }

    [Fact]
    public void Without_the_crosstalk_unmix_it_is_measurably_worse()
    {
        var (with, _) = Measurement.FilmChart(roll.Frame(1), Options(true), roll.Truth, model: Core.Calibration.ModelKind.Matrix);
        var (without, _) = Measurement.FilmChart(roll.Frame(1), Options(false), roll.Truth, model: Core.Calibration.ModelKind.Matrix);
        log.WriteLine($"3×3 fit on the inverted chart: with unmix {with.Calibration!.DeltaE.Mean:0.00}/{with.Calibration.DeltaE.Max:0.00}, without {without.Calibration!.DeltaE.Mean:0.00}/{without.Calibration.DeltaE.Max:0.00}");
        Assert.True(without.Calibration.DeltaE.Mean > with.Calibration.DeltaE.Mean + 1);
    }

    [Fact]
    public void Stock_preset_and_automatic_grey_without_a_chart()
    {
        var (mean, max, ab) = Measure(Half(Options()), 3);
        log.WriteLine($"grey-surround frame, Portra 400 preset + automatic base and grey, no chart: mean ΔE2000 {mean:0.00}, max {max:0.00}");
        Assert.True(mean <= 4, $"mean {mean:0.00}");
    }

    [Fact]
    public void A_locked_roll_keeps_greys_neutral_where_per_frame_auto_cannot()
    {
        // The orange-dominated frame: its own automatic estimate is pulled by the orange; the roll's is not.
        var (auto, _, autoAb) = Measure(Half(Options()), 2);
        var analysed = Measurement.FilmRoll([roll.Frame(1), roll.Frame(3)], Options());
        var locked = Half(Options()); locked.Roll = analysed;
        var (lockedMean, _, lockedAb) = Measure(locked, 2);
        log.WriteLine($"orange frame: per-frame auto mean {auto:0.00} (greys {autoAb:0.0}); locked to the roll (analysed on the other frames) mean {lockedMean:0.00} (greys {lockedAb:0.0})");
        Assert.True(lockedAb < autoAb && lockedMean < auto);
        // Unlocking the frame brings back its own (here: orange-pulled) grey, with the roll's base and slopes.
        var unlocked = Half(Options() with { Unlocked = true }); unlocked.Roll = analysed;
        var (_, _, unlockedAb) = Measure(unlocked, 2);
        Assert.True(unlockedAb > lockedAb + 5, $"unlocked greys {unlockedAb:0.0} vs locked {lockedAb:0.0}");
    }

    [Fact]
    public void Film_base_is_found_in_the_rebate_despite_sprocket_holes()
    {
        var d = RawDecoder.Decode(roll.Frame(1), FilmProcessor.DecodeFor(new DecodeOptions { Demosaic = DemosaicMode.Half }));
        using var img = d.Image;
        var estimated = FilmAnalysis.EstimateBase(img);
        var f = roll.Film;
        var c = Matrix3.FromRows(f.Crosstalk);
        var t = new Vec3(Math.Pow(10, -f.BaseDensity[0]), Math.Pow(10, -f.BaseDensity[1]), Math.Pow(10, -f.BaseDensity[2]));
        var raw = c * new Vec3(f.Light[0] * t.X, f.Light[1] * t.Y, f.Light[2] * t.Z);
        raw = (f.BaseLevel / raw.Max) * raw;
        for (int ch = 0; ch < 3; ch++) Assert.InRange(estimated[ch] / raw[ch], 0.98, 1.02);
    }

    [Fact]
    public void Cli_negative_process_keeps_the_size_and_writes_float()
    {
        string u = string.Join(",", NegativeSimulator.Unmix(roll.Film).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        using var outDir = new TempDir();
        var r = Cli.Run("process", roll.Frame(1), roll.Frame(2), "-o", outDir.Path, "--negative", "--chart", roll.Frame(1), "--reference", roll.Truth,
            "--unmix", u, "--format", "tiff", "--bit-depth", "32", "--colorspace", "linear-srgb", "--no-metadata");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("roll calibrated from", r.Stderr);
        using var t = BitMiracle.LibTiff.Classic.Tiff.Open(outDir["neg_2.tif"], "r");
        Assert.Equal(1500, t.GetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGEWIDTH)[0].ToInt());
        Assert.Equal(1000, t.GetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGELENGTH)[0].ToInt());
        Assert.Equal(32, t.GetField(BitMiracle.LibTiff.Classic.TiffTag.BITSPERSAMPLE)[0].ToInt());
        var bad = Cli.Run("process", roll.Frame(1), "-o", outDir["x"], "--negative", "--stock", "kodachrome");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("unknown film stock", bad.Stderr);
    }
}

public class RealNegativeTests(ITestOutputHelper log)
{
    /// <summary>The real scans in shared/data/negatives are camera JPEGs: inverted through the same pipeline, the
    /// positive's luminance must run opposite to the negative's over the film area (a true inversion, not a copy).</summary>
    [SkippableTheory]
    [InlineData("amoslu_Negative_scan.jpg", "portra400")]
    [InlineData("strwdr_BW_negative_1.jpg", "bw")]
    [InlineData("strwdr_BW_negative_2.jpg", "bw")]
    public void Real_negative_scans_invert(string file, string stock)
    {
        string path = TestData.File(Path.Combine("negatives", file));
        var pipeline = new Pipeline(new Recipe { Film = new FilmOptions { Enabled = true, Stock = stock } });
        using var positive = pipeline.Render(path);
        var (negative, _) = Core.Raw.ImageLoader.Load(path);
        using (negative)
        {
            double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0; long n = 0;
            int w = negative.Width, h = negative.Height;
            for (int y = h / 5; y < h * 4 / 5; y += 4)
                for (int x = w / 5; x < w * 4 / 5; x += 4)
                {
                    int i = y * w + x;
                    double a = Math.Log(Math.Max(1e-4, negative.G[i])), b = Math.Log(Math.Max(1e-4, positive.Image.G[i]));
                    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; n++;
                }
            double r = (sxy / n - sx / n * sy / n) / Math.Sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
            log.WriteLine($"{file}: correlation of log luminance, negative vs our positive, over the central 60 %: {r:0.000}");
            // B&W: one silver layer, a per-pixel monotone map. Colour: the positive's green also mixes in the other layers
            // (overlap inverse, primaries), so the relation is looser but must still run clearly opposite.
            Assert.True(r < (stock == "bw" ? -0.95 : -0.6), $"{file}: {r:0.000}");
        }
    }

    /// <summary>Each scan comes with a positive another tool made of it (a crop, scaled, turned). Aligned on SIFT
    /// features, our positive's log luminance must follow theirs; a failed inversion correlates negatively. Also logged:
    /// a naive per-channel 1/x inversion against the same positive, for scale (amoslu's positive was itself made by a
    /// "gamma 1" inversion, so its colours lean towards the naive one).</summary>
    [SkippableTheory]
    [InlineData("amoslu_Negative_scan.jpg", "amoslu_positive_Gamma1.jpg", "portra400", 0.8)]
    [InlineData("strwdr_BW_negative_1.jpg", "strwdr_BW_positive_1.jpg", "bw", 0.8)]
    // Only ~10 features survive between this scan and its heavily processed, tightly cropped positive.
    [InlineData("strwdr_BW_negative_2.jpg", "strwdr_BW_positive_2.jpg", "bw", 0.45)]
    public void Real_inversions_match_the_given_positives(string negativeFile, string positiveFile, string stock, double minimum)
    {
        string negativePath = TestData.File(Path.Combine("negatives", negativeFile));
        string positivePath = TestData.File(Path.Combine("negatives", positiveFile));
        using var ours = new Pipeline(new Recipe { Film = new FilmOptions { Enabled = true, Stock = stock } }).Render(negativePath);
        var (theirs, _) = Core.Raw.ImageLoader.Load(positivePath);
        var (negative, _) = Core.Raw.ImageLoader.Load(negativePath);
        using (theirs)
        using (negative)
        {
            var match = ImageAlignment.Compare(ours.Image, theirs);
            Assert.NotNull(match);
            using var naive = new Core.Imaging.RgbImage(negative.Width, negative.Height);
            for (int i = 0; i < naive.R.Length; i++)
            {
                naive.R[i] = 1 / MathF.Max(1e-4f, negative.R[i]);
                naive.G[i] = 1 / MathF.Max(1e-4f, negative.G[i]);
                naive.B[i] = 1 / MathF.Max(1e-4f, negative.B[i]);
            }
            var baseline = ImageAlignment.Compare(naive, theirs);
            log.WriteLine($"{negativeFile} vs {positiveFile}: {match.Inliers}/{match.Candidates} SIFT matches consistent; correlation of "
                + $"log luminance {match.LogLuminance:0.000}, log R/G {match.LogRedOverGreen:0.000}, log B/G {match.LogBlueOverGreen:0.000}"
                + (baseline is null ? "; naive 1/x: no alignment" : $"; naive 1/x: {baseline.LogLuminance:0.000}, {baseline.LogRedOverGreen:0.000}, {baseline.LogBlueOverGreen:0.000}"));
            Assert.True(match.Inliers >= 8, $"{match.Inliers} consistent matches");
            Assert.True(match.LogLuminance >= minimum, $"{negativeFile}: log-luminance correlation {match.LogLuminance:0.000} < {minimum}");
        }
    }
}

public class FilmControlsTests(NegativeRoll roll) : IClassFixture<NegativeRoll>
{
    private static Vec3 Patch(Pipeline p, string file, int index, out DecodedImage image)
    {
        image = p.Render(file);
        var chart = ChartDetector.Detect(image.Image);
        Assert.True(chart.Found);
        return chart.Patches[index - 1].Rgb;
    }

    [Fact]
    public void Exposure_and_trims_act_in_log_exposure()
    {
        var o = new FilmOptions { Enabled = true, Unmix = NegativeSimulator.Unmix(roll.Film), Grey = [0, 0, 0] };
        Pipeline P(FilmOptions f) => new(new Recipe { Film = f, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } });
        var baseline = Patch(P(o), roll.Frame(1), 22, out var a); a.Dispose();
        var brighter = Patch(P(o with { ExposureEv = 1 }), roll.Frame(1), 22, out var b); b.Dispose();
        Assert.Equal(2.0, brighter.Y / baseline.Y, 3);
        // Without a chart the positive is converted to the working space by a matrix, so compare before it: use the
        // inverter directly on a pixel.
        var p = FilmProcessor.Resolve(new Core.Imaging.RgbImage(16, 16), new RawMetadata(), o with { Base = "0.5,0.5,0.5" }, null, 1);
        var (r0, _, _) = p.Invert(0.1, 0.1, 0.1);
        var (r1, _, _) = (p with { Trims = [0.1, 0, 0] }).Invert(0.1, 0.1, 0.1);
        Assert.Equal(Math.Pow(10, -0.1), r1 / r0, 6); // more cyan, less red
    }

    [Fact]
    public void Flat_field_evens_out_the_light_table()
    {
        var d = RawDecoder.Decode(roll.Frame(1), FilmProcessor.DecodeFor(new DecodeOptions { Demosaic = DemosaicMode.Half }));
        using var img = d.Image;
        var original = FilmAnalysis.EstimateBase(img);
        // An uneven light table: 30 % darker at the corners; the flat frame sees the same light with no film.
        var flat = new Core.Imaging.RgbImage(img.Width, img.Height);
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
            {
                double dx = (x - img.Width / 2.0) / (img.Width / 2.0), dy = (y - img.Height / 2.0) / (img.Height / 2.0);
                float f = (float)(1 - 0.3 * (dx * dx + dy * dy) / 2);
                int i = y * img.Width + x;
                img.R[i] *= f; img.G[i] *= f; img.B[i] *= f;
                flat.R[i] = flat.G[i] = flat.B[i] = 0.9f * f;
            }
        var uneven = FilmAnalysis.EstimateBase(img);
        new FlatField(flat).Apply(img);
        var corrected = FilmAnalysis.EstimateBase(img);
        for (int c = 0; c < 3; c++)
        {
            Assert.True(Math.Abs(uneven[c] / original[c] - 1) > 0.05, $"the uneven light must change the measured base: {original[c]:0.0000} → {uneven[c]:0.0000}");
            // After the flat field the rebate is even again: its level is the mean of the light over the frame.
            Assert.InRange(corrected[c] / corrected[1] / (original[c] / original[1]), 0.98, 1.02);
        }
    }

    [Fact]
    public void A_flat_field_of_another_shape_or_camera_is_refused_with_the_reason()
    {
        using var dir = new TempDir();
        // The frames are 1500×1000 from the simulator's camera: a portrait flat, and a flat of the right shape from
        // another camera body.
        SyntheticDng.Write(dir["portrait.dng"], new SceneParameters { Width = 1000, Height = 1500, HasChart = false, Seed = 9 });
        SyntheticDng.Write(dir["other.dng"], new SceneParameters { Width = 1500, Height = 1000, HasChart = false, Seed = 9 },
            new DngInfo { Make = "Other", Model = "Body" });
        var pipeline = (string flat) => new Pipeline(new Recipe { Film = new FilmOptions { Enabled = true, FlatField = flat }, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } });
        var shape = Assert.Throws<ArgumentException>(() => pipeline(dir["portrait.dng"]).Render(roll.Frame(3)));
        Assert.Contains("aspect 0.67", shape.Message);
        Assert.Contains("aspect 1.50", shape.Message);
        var camera = Assert.Throws<ArgumentException>(() => pipeline(dir["other.dng"]).Render(roll.Frame(3)));
        Assert.Contains("taken by Other Body", camera.Message);

        // In a batch: one line naming the frame and the flat, the exit code says it failed, nothing written.
        var r = Cli.Run("process", roll.Frame(3), "-o", dir["out"], "--negative", "--flat-field", dir["portrait.dng"]);
        Assert.NotEqual(0, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("flat field"));
        Assert.Contains("neg_3.dng", line);
        Assert.Contains("portrait.dng", line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.False(Directory.Exists(dir["out"]) && Directory.EnumerateFiles(dir["out"], "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void Overexposed_positives_are_reported()
    {
        var o = new FilmOptions { Enabled = true, ExposureEv = 4 };
        var p = new Pipeline(new Recipe { Film = o, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } });
        using var d = p.Render(roll.Frame(3));
        Assert.Contains(d.Warnings, w => w.Contains("above 1.0"));
    }
}
