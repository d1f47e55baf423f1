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

    public static RollProfile Load(string path) => CalibrationProfile.LoadJson<RollProfile>(path, "roll profile");

    public InversionParameters ForFrame(double exposureFactor, FilmOptions frame) =>
        new(BaseNormalized.Select(b => b * exposureFactor).ToArray(), Gamma, Grey, Unmix, frame.ExposureEv, frame.Trims, BlackAndWhite) { Toe = Toe, Balance = Balance };
}
