using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;
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
        var (rollProfile, _) = FilmProcessor.CalibrateFromChart(roll.Frame(1), Options(), roll.Truth);
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
        var (with, _) = FilmProcessor.CalibrateFromChart(roll.Frame(1), Options(true), roll.Truth, model: Core.Calibration.ModelKind.Matrix);
        var (without, _) = FilmProcessor.CalibrateFromChart(roll.Frame(1), Options(false), roll.Truth, model: Core.Calibration.ModelKind.Matrix);
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
        var analysed = FilmProcessor.Analyze([roll.Frame(1), roll.Frame(3)], Options());
        var locked = Half(Options()); locked.Roll = analysed;
        var (lockedMean, _, lockedAb) = Measure(locked, 2);
        log.WriteLine($"orange frame: per-frame auto mean {auto:0.00} (greys {autoAb:0.0}); locked to the roll (analysed on the other frames) mean {lockedMean:0.00} (greys {lockedAb:0.0})");
        Assert.True(lockedAb < autoAb && lockedMean < auto);
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
        var (negative, _) = Core.Imaging.ImageLoader.Load(path);
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
}
