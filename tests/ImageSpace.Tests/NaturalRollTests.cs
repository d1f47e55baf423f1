using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;
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
            var r = BlockColourError.Score(d.Image, f.Truth, NegativeSimulator.RebateWidth(f.Truth.Width));
            log.WriteLine($"{label} {Path.GetFileName(f.Path)} ({f.ExposureEv:+0.0;-0.0} EV): ΔE2000 mean {r.Mean:0.00}, p90 {r.P90:0.00}; greys ({r.GreyBlocks}) cast a* {r.GreyCastA:+0.00;-0.00} b* {r.GreyCastB:+0.00;-0.00}, p95 |Δa*|,|Δb*| {r.GreyP95Ab:0.00}; brightest ×{r.BrightestRatio:0.00}; {string.Join(" | ", d.Warnings)}");
            results.Add(r);
        }
        return results;
    }

    /// <summary>The generator's own parameters: the floor set by noise, the lens and the block edges.</summary>
    private RollProfile TrueProfile()
    {
        var f = fx.Roll.Film;
        var c = Core.Color.Matrix3.FromRows(f.Crosstalk);
        var t = new Core.Color.Vec3(f.Light[0] * Math.Pow(10, -f.BaseDensity[0]), f.Light[1] * Math.Pow(10, -f.BaseDensity[1]), f.Light[2] * Math.Pow(10, -f.BaseDensity[2]));
        var raw = c * t; raw = (f.BaseLevel / raw.Max) * raw;
        var m = Core.Color.RgbColorSpace.Srgb.ToXyzAt(Core.Color.WhitePoints.D50) * Core.Color.Matrix3.FromRows(f.LayerMix).Inverse();
        var cal = new Core.Calibration.CalibrationProfile { Model = Core.Calibration.ModelKind.Matrix, Coefficients = [[m.M00, m.M01, m.M02], [m.M10, m.M11, m.M12], [m.M20, m.M21, m.M22]] };
        return new RollProfile { BaseNormalized = raw.ToArray(), Gamma = f.Gamma, Grey = [-f.ToeLog, -f.ToeLog, -f.ToeLog], Unmix = NegativeSimulator.Unmix(f), Toe = f.ToeSharpness, Calibration = cal };
    }

    [Fact]
    public void Diagnostics()
    {
        ScoreAll(Half(new FilmOptions { Enabled = true }, TrueProfile()), "true");
        var o = new FilmOptions { Enabled = true };
        var (roll, _) = FilmProcessor.CalibrateFromChart(fx.Roll.ChartPath, o, fx.Truth);
        log.WriteLine(roll.Calibration!.Reason);
        ScoreAll(Half(o, roll), "chart");
        var ou = o with { Unmix = NegativeSimulator.Unmix(fx.Roll.Film) };
        var (rollU, _) = FilmProcessor.CalibrateFromChart(fx.Roll.ChartPath, ou, fx.Truth);
        ScoreAll(Half(ou, rollU), "chart+unmix");
        var analysed = FilmProcessor.Analyze(fx.Roll.Frames.Select(f => f.Path).ToList(), o);
        ScoreAll(Half(o, analysed), "roll");
    }
}

public class NaturalRollDebug(ITestOutputHelper log)
{
    [Fact]
    public void Debug_blocks()
    {
        using var dir = new TempDir();
        var film = new NegativeFilm();
        var roll = NaturalRoll.Write(dir.Path, film, 600, 400, exposures: [0]);
        File.WriteAllLines(dir["t.csv"], new[] { "X,Y,Z" }.Concat(roll.Chart.PatchXyzD50.Select(v => FormattableString.Invariant($"{v.X},{v.Y},{v.Z}"))));
        var o = new FilmOptions { Enabled = true, Unmix = NegativeSimulator.Unmix(film) };
        var (rp, _) = FilmProcessor.CalibrateFromChart(roll.ChartPath, o, dir["t.csv"], model: Core.Calibration.ModelKind.Matrix);
        log.WriteLine(rp.Calibration!.Reason + $" {rp.Calibration.DeltaE.Mean}");
        var p = new Pipeline(new Recipe { Film = o, Decode = new DecodeOptions { Demosaic = DemosaicMode.Half } }) { Roll = rp };
        using var d = p.Render(roll.Frames[0].Path);
        var t = roll.Frames[0].Truth;
        var toOut = Core.Color.RgbColorSpace.Srgb.FromXyz * Core.Color.WorkingSpace.Space.ToXyz;
        for (int y = 20; y < 200; y += 40)
            for (int x = 60; x < 250; x += 50)
            {
                int i = y * d.Image.Width + x, j = 2 * y * t.Width + 2 * x;
                var ov = toOut * new Core.Color.Vec3(d.Image.R[i], d.Image.G[i], d.Image.B[i]);
                log.WriteLine($"({x},{y}) out sRGB {ov} truth {t.R[j]:0.000},{t.G[j]:0.000},{t.B[j]:0.000}");
            }
        using var c = p.Render(roll.ChartPath);
        var det = Core.Charts.ChartDetector.Detect(c.Image);
        log.WriteLine($"chart found {det.Found}: patch 22 {det.Patches[21].Rgb} patch 19 {det.Patches[18].Rgb}");
        roll.Dispose();
    }
}
