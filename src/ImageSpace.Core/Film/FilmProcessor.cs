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
        double[] b = ParseBase(camera, o, scale);
        double[] gamma = o.Gamma ?? (o.GammaSource == "auto" ? FilmAnalysis.AutoGamma(camera, b, stock, o.Unmix) : stock.Gamma);
        var p = new InversionParameters(b, gamma, [0, 0, 0], o.Unmix, o.ExposureEv, o.Trims, stock.BlackAndWhite);
        return p with { Grey = o.Grey ?? FilmAnalysis.FilmReferred(FilmAnalysis.AutoGrey(camera, p)) };
    }

    private static double[] ParseBase(RgbImage img, FilmOptions o, double scale) => o.BaseNumbers() switch
    {
        null => FilmAnalysis.EstimateBase(img),
        { Length: 3 } rgb => rgb,
        var v => FilmAnalysis.BaseFromRectangle(img, (int)(v[0] * scale), (int)(v[1] * scale), Math.Max(1, (int)(v[2] * scale)), Math.Max(1, (int)(v[3] * scale))),
    };

    /// <summary>A roll profile from a ColorChecker frame: base (rebate or given), then crosstalk, slopes, toe, grey and
    /// colour correction fitted on the patches (<see cref="ChartFilmFit"/>). The negative comes from the pipeline's
    /// decode stage (camera RGB, flat-fielded; see Pipeline.Measurement). The detection is returned in full-resolution
    /// pixels.</summary>
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
        double[] b = ParseBase(img, o, scale);
        var fit = ChartFilmFit.Fit(detection.Patches, b, refXyz, stock, o.Unmix, model, path);
        var p = fit.Inversion;
        var profile = CalibrationProfile.From(fit.Calibration, ChartFilmFit.Positive(detection.Patches, p), refXyz, Path.GetFileName(path), refName, null, null, negative: true);
        double expo = FilmAnalysis.ExposureFactor(metadata);
        var roll = new RollProfile
        {
            Stock = stock.Id, BaseNormalized = b.Select(v => v / expo).ToArray(), Gamma = p.Gamma, Grey = p.Grey, Unmix = p.Unmix, Toe = p.Toe,
            BlackAndWhite = stock.BlackAndWhite, Calibration = profile, Source = Path.GetFileName(path), Frames = [Path.GetFileName(path)],
        };
        return (roll, detection.AtFullResolution(scale)); // positions in the file's pixels, as ChartCalibration reports them
    }

    /// <summary>A roll profile from many frames without a chart (<see cref="RollAnalysis"/>): each frame contributes its
    /// rebate base and a sample of its pixels; base, balance and the roll's grey come from all of them together.</summary>
    /// <param name="decodeStage">a frame from the pipeline's decode stage (camera RGB, flat-fielded) and its scale;
    /// the caller's pipeline decides how (see Pipeline.Measurement)</param>
    public static RollProfile Analyze(IReadOnlyList<string> frames, Func<string, (DecodedImage decoded, double scale)> decodeStage, FilmOptions o,
        Action<string>? progress = null)
    {
        var stock = FilmStocks.ByName(o.Stock);
        var samples = new List<RollAnalysis.FrameSample>();
        foreach (var f in frames)
        {
            var (decoded, scale) = decodeStage(f);
            using var img = decoded.Image;
            samples.Add(RollAnalysis.Sample(Path.GetFileName(f), img, ParseBase(img, o, scale), FilmAnalysis.ExposureFactor(decoded.Metadata)));
            progress?.Invoke(f);
        }
        // Without a chart nothing on the roll measures the rig's crosstalk: a typical scanning rig's is undone (a
        // measured --unmix overrides it). Not on a black-and-white stock (one layer, nothing to unmix), and not on
        // JPEG/TIFF scans: their converter has already mixed the camera's channels with its own colour matrix (on the
        // real JPEG scan the typical unmix on top took the hue error from 35° to 68°).
        bool rawCamera = !stock.BlackAndWhite && !frames.Any(ImageLoader.IsPhoto);
        return RollAnalysis.Fit(samples, stock, o.Unmix ?? (rawCamera ? ScannerCrosstalk.TypicalUnmix : null)).Roll;
    }
}
