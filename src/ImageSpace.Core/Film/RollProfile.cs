using System.Text.Json;
using ImageSpace.Core.Calibration;

namespace ImageSpace.Core.Film;

/// <summary>Everything that stays the same across a roll: film base (divided by the frame's exposure factor),
/// slopes, grey reference, crosstalk unmix, stock, and the chart calibration of the positive. Frames of the roll get
/// only their own exposure and trims.</summary>
public sealed record RollProfile
{
    public int Version { get; init; } = 1;
    public string Stock { get; init; } = "portra400";
    /// <summary>Film base / exposure factor (t·ISO/N²) of the frame it was measured on.</summary>
    public double[] BaseNormalized { get; init; } = [1, 1, 1];
    public double[] Gamma { get; init; } = [0.6, 0.6, 0.6];
    public double[] Grey { get; init; } = [0, 0, 0];
    public double[]? Unmix { get; init; }
    /// <summary>Toe sharpness of the characteristic curve (chart fit or stock), or null (older profiles): no toe.</summary>
    public double? Toe { get; init; }
    /// <summary>Balance curves onto green's log exposure (roll analysis), or null.</summary>
    public BalanceCurve?[]? Balance { get; init; }
    public bool BlackAndWhite { get; init; }
    public CalibrationProfile? Calibration { get; init; }
    public string Source { get; init; } = "";
    public string[] Frames { get; init; } = [];
    public string[] RejectedFrames { get; init; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, CalibrationProfile.Json);

    public static RollProfile Load(string path)
    {
        var p = CalibrationProfile.LoadJson<RollProfile>(path, SettingsFile.Roll);
        Check(path, p);
        return p;
    }

    public InversionParameters ForFrame(double exposureFactor, FilmOptions frame) =>
        new(BaseNormalized.Select(b => b * exposureFactor).ToArray(), Gamma, Grey, Unmix, frame.ExposureEv, frame.Trims, BlackAndWhite) { Toe = Toe, Balance = Balance };

    /// <summary>The shape a roll profile must have: three finite positive film-base values and slopes, three grey
    /// values, a 9-number unmix when given, and a valid calibration when it carries one.</summary>
    private static void Check(string path, RollProfile p)
    {
        static bool Positive(double[]? v, int n) => v is not null && v.Length == n && v.All(x => double.IsFinite(x) && x > 0);
        if (!Positive(p.BaseNormalized, 3)) throw new ArgumentException($"{path}: damaged roll profile: base_normalized is not 3 positive numbers");
        if (!Positive(p.Gamma, 3)) throw new ArgumentException($"{path}: damaged roll profile: gamma is not 3 positive numbers");
        if (p.Grey is null || p.Grey.Length != 3 || !p.Grey.All(double.IsFinite)) throw new ArgumentException($"{path}: damaged roll profile: grey is not 3 numbers");
        if (p.Unmix is { } u && (u.Length != 9 || !u.All(double.IsFinite))) throw new ArgumentException($"{path}: damaged roll profile: unmix is not 9 numbers");
        if (p.Calibration is { } c) SettingsFile.Check(path, c);
    }
}
