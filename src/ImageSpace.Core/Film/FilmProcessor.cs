using System.Globalization;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Film;

/// <summary>Negative frames end to end: how a frame is decoded (camera RGB, no white balance), how its inversion is
/// resolved (roll profile, or per-frame estimates), and how a roll is calibrated from a ColorChecker frame — the
/// chart is found on the negative, its patches are measured there, and the fit is made on the inverted values, so
/// chart measurement and correction live in the same domain.</summary>
public static class FilmProcessor
{
    /// <summary>Decode settings for negatives: linear camera RGB scaled by the white level, no WB, no matrix.</summary>
    public static DecodeOptions DecodeFor(DecodeOptions d) => d with { WhiteBalance = WhiteBalanceMode.None, Output = ColorOutput.Camera, Highlights = HighlightMode.Unclipped };

    /// <summary>Typical overlap of a colour negative's layer sensitivities (each layer also sees ~6–10 % of its
    /// neighbours' light; shared/docs/film-negative-anchors.md §6.1). An assumption for frames without a chart — a
    /// chart frame replaces it with a measured fit.</summary>
    public static readonly Matrix3 TypicalLayerOverlap = Matrix3.FromRows([0.90, 0.10, 0.00, 0.06, 0.88, 0.06, 0.00, 0.10, 0.90]);

    /// <summary>The positive of an uncalibrated frame is in the film's layer space: the typical layer overlap is undone
    /// and the result read as linear sRGB primaries (close to the layers' spectral bands) to reach the working space.</summary>
    public static readonly Matrix3 PositiveToWorking = WorkingSpace.Space.FromXyz * RgbColorSpace.Srgb.ToXyz * TypicalLayerOverlap.Inverse();

    public static InversionParameters Resolve(RgbImage camera, RawMetadata meta, FilmOptions o, RollProfile? roll, double scale)
    {
        if (roll is not null)
        {
            var locked = roll.ForFrame(FilmAnalysis.ExposureFactor(meta), o);
            return o.Unlocked ? locked with { Grey = o.Grey ?? FilmAnalysis.AutoGrey(camera, locked) } : locked;
        }
        var stock = FilmStocks.ByName(o.Stock);
        double[] b = ParseBase(camera, o.Base, scale);
        double[] gamma = o.Gamma ?? (o.GammaSource == "auto" ? FilmAnalysis.AutoGamma(camera, b, stock, o.Unmix) : stock.Gamma);
        var p = new InversionParameters(b, gamma, [0, 0, 0], o.Unmix, o.ExposureEv, o.Trims, stock.BlackAndWhite);
        return p with { Grey = o.Grey ?? FilmAnalysis.AutoGrey(camera, p) };
    }

    private static double[] ParseBase(RgbImage img, string spec, double scale)
    {
        if (spec == "auto") return FilmAnalysis.EstimateBase(img);
        var v = spec.Split(',').Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        if (v.Length == 3) return v;
        if (v.Length == 4) return FilmAnalysis.BaseFromRectangle(img, (int)(v[0] * scale), (int)(v[1] * scale), Math.Max(1, (int)(v[2] * scale)), Math.Max(1, (int)(v[3] * scale)));
        throw new ArgumentException($"film base '{spec}' is not auto, x,y,w,h or r,g,b");
    }

    /// <summary>A roll profile from a ColorChecker frame: base (rebate or given), slopes from the grey ramp (density
    /// against reference log luminance of patches 19–23), grey so that neutral 5 comes out at its reference level, and
    /// the colour correction fitted on the inverted patches. The negative comes from the pipeline's decode stage
    /// (camera RGB, flat-fielded; see Pipeline.Measurement). The detection is returned in full-resolution pixels.</summary>
    /// <param name="corners">the chart's corners placed by hand (full-resolution pixels, any order), or null to detect</param>
    public static (RollProfile roll, ChartDetection detection) CalibrateFromChart(RgbImage img, double scale, RawMetadata metadata, string path,
        FilmOptions o, string reference = "after2014", ModelKind? model = null, IReadOnlyList<(double x, double y)>? corners = null)
    {
        var (refName, refXyz) = ReferenceLoader.Load(reference);
        var detectOptions = new DetectorOptions { Negative = true };
        var detection = corners is { } given
            ? ChartDetector.FromCorners(img, given.Select(p => (p.x * scale, p.y * scale)).ToArray(), detectOptions)
            : ChartDetector.Detect(img, detectOptions);
        if (!detection.Found)
            throw new RawDecodeException(path, corners is null ? $"no chart found on the negative ({detection.Note})" : $"the given corners do not make a chart ({detection.Note})");
        var stock = FilmStocks.ByName(o.Stock);
        double[] b = ParseBase(img, o.Base, scale);
        var x = detection.Patches.Select(p => p.Rgb).ToArray();
        // Slopes: density rises with log exposure at γ per layer; fit on the greys above the toe (white … neutral 3.5).
        var greys = new[] { 18, 19, 20, 21, 22 };
        double[] gamma = new double[3];
        var unit = new InversionParameters(b, [1, 1, 1], [0, 0, 0], o.Unmix, 0, [0, 0, 0], stock.BlackAndWhite);
        var dens = x.Select(v => unit.Density(v.X, v.Y, v.Z)).Select(t => new[] { t.Item1, t.Item2, t.Item3 }).ToArray();
        for (int c = 0; c < 3; c++)
        {
            var pts = greys.Select(p => (lx: Math.Log10(refXyz[p].Y), d: dens[p][c])).ToArray();
            double mx = pts.Average(t => t.lx), md = pts.Average(t => t.d);
            gamma[c] = pts.Sum(t => (t.lx - mx) * (t.d - md)) / pts.Sum(t => (t.lx - mx) * (t.lx - mx));
        }
        if (gamma.Any(g => !(g > 0.05))) throw new ArgumentException($"{path}: the chart's greys give no usable film slopes ({string.Join("/", gamma.Select(g => g.ToString("0.00")))})");
        var p0 = new InversionParameters(b, gamma, [0, 0, 0], o.Unmix, 0, [0, 0, 0], stock.BlackAndWhite);
        var (e0, e1, e2) = p0.LogExposure(x[21].X, x[21].Y, x[21].Z);
        double target = Math.Log10(refXyz[21].Y / 0.18);
        var p = p0 with { Grey = [e0 - target, e1 - target, e2 - target] };
        var positive = detection.Patches.Select((s, i) =>
        {
            var (r, g, bb) = p.Invert(x[i].X, x[i].Y, x[i].Z);
            return s with { Rgb = 0.18 * new Vec3(r, g, bb) };
        }).ToList();
        var fit = Calibrator.Calibrate(positive, refXyz, model);
        var profile = CalibrationProfile.From(fit, positive, refXyz, Path.GetFileName(path), refName, null, null, negative: true);
        double expo = FilmAnalysis.ExposureFactor(metadata);
        var roll = new RollProfile
        {
            Stock = stock.Id, BaseNormalized = b.Select(v => v / expo).ToArray(), Gamma = gamma, Grey = p.Grey, Unmix = o.Unmix,
            BlackAndWhite = stock.BlackAndWhite, Calibration = profile, Source = Path.GetFileName(path), Frames = [Path.GetFileName(path)],
        };
        return (roll, detection.AtFullResolution(scale)); // positions in the file's pixels, as ChartCalibration reports them
    }

    /// <summary>A roll profile from many frames without a chart: the base is the median of the frames' rebate
    /// estimates (each divided by its exposure factor), frames whose base is more than 10 % off are rejected; the grey
    /// is the median of the per-frame neutral estimates of the accepted frames.</summary>
    /// <param name="decodeStage">a frame from the pipeline's decode stage (camera RGB, flat-fielded) and its scale;
    /// the caller's pipeline decides how (see Pipeline.Measurement)</param>
    public static RollProfile Analyze(IReadOnlyList<string> frames, Func<string, (DecodedImage decoded, double scale)> decodeStage, FilmOptions o,
        Action<string>? progress = null)
    {
        var stock = FilmStocks.ByName(o.Stock);
        var per = new List<(string file, double[] baseN, double[] grey, double[] gamma)>();
        foreach (var f in frames)
        {
            var (decoded, scale) = decodeStage(f);
            using var img = decoded.Image;
            double expo = FilmAnalysis.ExposureFactor(decoded.Metadata);
            var p = Resolve(img, decoded.Metadata, o, null, scale);
            per.Add((f, p.Base.Select(v => v / expo).ToArray(), p.Grey, p.Gamma));
            progress?.Invoke(f);
        }
        if (per.Count == 0) throw new ArgumentException("no frames to analyse");
        double[] medBase = Enumerable.Range(0, 3).Select(c => Statistics.Median(per.Select(t => t.baseN[c]))).ToArray();
        var accepted = per.Where(t => Enumerable.Range(0, 3).All(c => Math.Abs(t.baseN[c] / medBase[c] - 1) <= 0.10)).ToList();
        if (accepted.Count == 0) accepted = per;
        double[] baseN = Enumerable.Range(0, 3).Select(c => Statistics.Median(accepted.Select(t => t.baseN[c]))).ToArray();
        // Grey offsets depend on the base used: re-express each frame's grey against the common base.
        double[] gamma = Enumerable.Range(0, 3).Select(c => Statistics.Median(accepted.Select(t => t.gamma[c]))).ToArray();
        double[] grey = Enumerable.Range(0, 3).Select(c => Statistics.Median(accepted.Select(t => t.grey[c] + Math.Log10(baseN[c] / t.baseN[c]) / gamma[c]))).ToArray();
        return new RollProfile
        {
            Stock = stock.Id, BaseNormalized = baseN, Gamma = gamma, Grey = grey, Unmix = o.Unmix, BlackAndWhite = stock.BlackAndWhite,
            Source = $"{per.Count} frames", Frames = accepted.Select(t => Path.GetFileName(t.file)).ToArray(),
            RejectedFrames = per.Except(accepted).Select(t => Path.GetFileName(t.file)).ToArray(),
        };
    }
}
