using System.Text.Json;
using System.Text.Json.Serialization;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>A calibration as saved to disk (JSON) and applied by the pipeline.</summary>
public sealed record CalibrationProfile
{
    public int Version { get; init; } = 1;
    public string Source { get; init; } = "";
    /// <summary>The group it belongs to, or null for a global calibration.</summary>
    public string? Group { get; init; }
    public string Reference { get; init; } = "";
    public ModelKind Model { get; init; }
    public double[][] Coefficients { get; init; } = [];
    /// <summary>What the coefficients minimise (least squares, or ΔE2000: <see cref="DeltaEFit"/>); absent in older profiles.</summary>
    public FitObjective Fit { get; init; }
    public double ExposureGain { get; init; } = 1;
    /// <summary>Correlated colour temperature of the light the chart was shot in (from the camera's white balance),
    /// when known.</summary>
    public double? IlluminantCct { get; init; }
    public bool Negative { get; init; }
    /// <summary>Tone-curve removal fitted on the grey ramp (camera JPEGs), applied before the model; null for RAWs.</summary>
    public NeutralLinearization? Linearization { get; init; }
    public string Reason { get; init; } = "";
    public PatchError[] Patches { get; init; } = [];
    public Summary DeltaE { get; init; } = new(0, 0, 0, 0);
    public string[] Warnings { get; init; } = [];

    public sealed record PatchError(int Index, double DeltaE, double LooDeltaE, bool Clipped, double[] Measured, double[] Corrected, double[] ReferenceLab);
    public sealed record Summary(double Mean, double Max, double LooMean, double LooMax);

    [JsonIgnore] public CorrectionModel CorrectionModel => new(Model, Coefficients, ExposureGain, Fit);

    /// <summary>Corrected XYZ D50 of a measured (or image) linear RGB.</summary>
    public Vec3 ToXyzD50(Vec3 rgb) => CorrectionModel.ToXyzD50(Linearization?.Apply(rgb) ?? rgb);

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CalibrationProfile Load(string path)
    {
        var p = LoadJson<CalibrationProfile>(path, SettingsFile.Calibration);
        SettingsFile.Check(path, p);
        return p;
    }

    /// <summary>Reads a profile file (calibration or roll), checked for its kind (<see cref="SettingsFile"/>); every
    /// failure is an ArgumentException naming the file.</summary>
    public static T LoadJson<T>(string path, string kind)
    {
        using var doc = SettingsFile.Read(path, kind);
        try { return doc.Deserialize<T>(Json) ?? throw new ArgumentException($"{path}: empty {kind}"); }
        catch (JsonException e) { throw new ArgumentException($"{path}: damaged {kind} ({SettingsFile.Describe(e, Json)})", e); }
    }

    public static CalibrationProfile From(CalibrationResult r, IReadOnlyList<Charts.PatchSample> patches, IReadOnlyList<Vec3> referenceXyz,
        string source, string reference, string? group, double? cct, bool negative, NeutralLinearization? linearization = null) => new()
        {
            Linearization = linearization,
            Source = source, Group = group, Reference = reference, Model = r.Model.Kind, Coefficients = r.Model.Coefficients, Fit = r.Model.Fit,
            ExposureGain = r.Model.ExposureGain, IlluminantCct = cct, Negative = negative, Reason = r.Reason,
            Patches = patches.Select((p, i) =>
            {
                var corrected = r.Model.ToXyzD50(linearization?.Apply(p.Rgb) ?? p.Rgb);
                return new PatchError(p.Index, Round(HeldOut(r.Evaluation.DeltaE[i], corrected, referenceXyz[i])),
                    Round(HeldOut(r.Evaluation.LooDeltaE[i], corrected, referenceXyz[i])), p.Clipped,
                    p.Rgb.ToArray(), Color.Lab.FromXyz(corrected, WhitePoints.D50).ToArray().Select(Round).ToArray(),
                    Color.Lab.FromXyz(referenceXyz[i], WhitePoints.D50).ToArray().Select(Round).ToArray());
            }).ToArray(),
            DeltaE = new Summary(Round(r.Evaluation.Mean), Round(r.Evaluation.Max), Round(r.Evaluation.LooMean), Round(r.Evaluation.LooMax)),
            Warnings = r.Warnings.ToArray(),
        };

    private static double Round(double v) => double.IsNaN(v) ? double.NaN : Math.Round(v, 4);

    /// <summary>A patch left out of the fit (clipped) has no in-sample error (NaN in the evaluation, and NaN is no
    /// JSON number): its error is that of the fitted model on it, which is held out already, so its ΔE and its
    /// leave-one-out ΔE are the same finite number. The summary (mean, max) still counts only the fitted patches.</summary>
    /// <param name="corrected">the patch through the fitted model (XYZ D50)</param>
    private static double HeldOut(double fitted, Vec3 corrected, Vec3 referenceXyz)
    {
        if (double.IsFinite(fitted)) return fitted;
        double de = Color.DeltaE.Ciede2000Xyz(corrected, referenceXyz, WhitePoints.D50);
        // A model that sends a clipped patch to no colour at all (0 or negative XYZ): the worst error there is.
        return double.IsFinite(de) ? de : 100;
    }
}
