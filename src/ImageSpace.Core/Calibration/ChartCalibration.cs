using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Calibration;

public sealed record CalibrateOptions
{
    /// <summary>Detect the chart on a negative (its colours inverted).</summary>
    public bool Negative { get; init; }
    public IReadOnlyList<(double x, double y)>? Corners { get; init; }
    public string Reference { get; init; } = "after2014";
    public ModelKind? Model { get; init; }
    public bool Refine { get; init; }
    public string? Group { get; init; }
    /// <summary>Linearise from the grey ramp first: on for photos (JPEG/PNG/TIFF: a tone curve is applied), off for RAWs.</summary>
    public bool? LinearizeFromNeutrals { get; init; }
}

/// <summary>Chart image → calibration profile: detect or take the corners, measure, fit, evaluate, on pixels from the
/// pipeline's decode stage (RAWs at half size: no demosaic interpolation in the patches). One call for the
/// `calibrate` command, the UI and charts given to a batch.</summary>
public static class ChartCalibration
{
    public sealed record Outcome(CalibrationProfile Profile, ChartDetection Detection, CalibrationResult Result, IReadOnlyList<Vec3> ReferenceXyz);

    /// <summary>Detects (or takes the corners of) the chart in <paramref name="image"/>, a stage of the pipeline (see
    /// Pipeline.Measurement, which decodes it), measures the patches and fits.</summary>
    /// <param name="scale">the image's size relative to the file's full resolution (0.5: half-size decode); corners
    /// are given and reported in full-resolution pixels</param>
    /// <param name="metadata">the file's metadata (the as-shot light's temperature is recorded), or null for photos</param>
    /// <exception cref="RawDecodeException">no chart in it (the message says why)</exception>
    public static Outcome FromStage(RgbImage image, double scale, RawMetadata? metadata, string path, CalibrateOptions o)
    {
        var (name, reference) = ReferenceLoader.Load(o.Reference);
        double? cct = null;
        if (metadata is not null && !ImageLoader.IsPhoto(path) && new CameraColor(metadata).AsShotNeutral is { } n)
            cct = Math.Round(new CameraColor(metadata).NeutralCct(n));
        var detectOptions = new DetectorOptions { Negative = o.Negative };
        var detection = o.Corners is { } c
            ? ChartDetector.FromCorners(image, c.Select(p => (p.x * scale, p.y * scale)).ToArray(), detectOptions)
            : ChartDetector.Detect(image, detectOptions);
        if (!detection.Found) throw new RawDecodeException(path, o.Corners is null
            ? $"no chart found ({detection.Note}); place its corners by hand"
            : $"the given corners do not make a chart ({detection.Note})");
        // Report positions in the file's full-resolution pixels.
        detection = detection.AtFullResolution(scale);
        var patches = detection.Patches;
        bool linearize = o.LinearizeFromNeutrals ?? ImageLoader.IsPhoto(path);
        NeutralLinearization? lin = null;
        var measured = patches;
        if (linearize)
        {
            lin = NeutralLinearization.FromGreys(patches.Select(p => p.Rgb).ToList(), reference);
            measured = patches.Select(p => p with { Rgb = lin.Apply(p.Rgb) }).ToList();
        }
        var result = Calibrator.Calibrate(measured, reference, o.Model, o.Refine);
        var profile = CalibrationProfile.From(result, patches, reference, Path.GetFileName(path), name, o.Group, cct, o.Negative, lin) with
        {
            Warnings = [.. detection.Warnings, .. result.Warnings],
        };
        return new Outcome(profile, detection, result, reference);
    }

    /// <summary>Several chart frames of one group combined: the best one, or one fit on their averaged patches.</summary>
    public static Outcome Combine(IReadOnlyList<Outcome> outcomes, string mode, CalibrateOptions o)
    {
        if (outcomes.Count == 1 || mode == "best") return outcomes.MinBy(x => x.Profile.DeltaE.Mean)!;
        var first = outcomes[0];
        // Average after normalising each frame's exposure (its own gain), so a brighter frame does not dominate.
        var gains = outcomes.Select(x => x.Result.Model.ExposureGain).ToArray();
        var averaged = Enumerable.Range(0, ChartModel.Patches).Select(i =>
        {
            var s = outcomes.Select((x, k) => gains[k] * (x.Profile.Linearization?.Apply(x.Detection.Patches[i].Rgb) ?? x.Detection.Patches[i].Rgb))
                .Aggregate((a, b) => a + b);
            return first.Detection.Patches[i] with { Rgb = (1.0 / outcomes.Count) * s, Clipped = outcomes.Any(x => x.Detection.Patches[i].Clipped) };
        }).ToList();
        var result = Calibrator.Calibrate(averaged, first.ReferenceXyz, o.Model, o.Refine);
        var profile = CalibrationProfile.From(result, averaged, first.ReferenceXyz, string.Join("+", outcomes.Select(x => x.Profile.Source)),
            first.Profile.Reference, o.Group, first.Profile.IlluminantCct, o.Negative) with
        { Reason = result.Reason + $" (average of {outcomes.Count} chart frames)" };
        return new Outcome(profile, first.Detection, result, first.ReferenceXyz);
    }
}
