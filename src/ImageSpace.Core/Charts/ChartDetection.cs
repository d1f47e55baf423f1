using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Charts;

/// <summary>One patch as measured in the linear image.</summary>
/// <param name="Rgb">Robust mean (20 % trimmed) of the inner ~50 % of the patch, linear.</param>
/// <param name="Std">Standard deviation of the samples, mean over channels.</param>
/// <param name="Clipped">More than 2 % of the sampled pixels reach the clip level in some channel.</param>
public sealed record PatchSample(int Index, double X, double Y, Vec3 Rgb, double Std, bool Clipped, int Pixels);

/// <summary>Result of chart detection (or of manual corners) on one image.</summary>
public sealed record ChartDetection
{
    public required bool Found { get; init; }
    /// <summary>0 when nothing was found; otherwise 0.05…1 from how well the colours fit the chart (grey ramp, neutral
    /// greys, hues). Real charts score 0.68–1 (shared/data/charts, rendered poses), chart-free frames 0.</summary>
    public double Confidence { get; init; }

    /// <summary>The confidence from which a detection is trusted without a person looking at it, e.g. to pick a group's
    /// chart frame automatically (the most confident frame, if it reaches this). Chosen between chart-free frames (0)
    /// and the least confident real chart photo (0.68, a ColorChecker under TL84), with margin on both sides
    /// (DetectionTests.Confidence_separates_*).</summary>
    public const double TrustedConfidence = 0.4;

    /// <summary>Found, with at least <see cref="TrustedConfidence"/>.</summary>
    public bool Trusted => Found && Confidence >= TrustedConfidence;
    /// <summary>Chart → image homography (chart units, see <see cref="ChartModel"/>), full-resolution pixels.</summary>
    public Homography? ChartToImage { get; init; }
    public IReadOnlyList<PatchSample> Patches { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>Why nothing was found, or how the chart was found.</summary>
    public string Note { get; init; } = "";

    public (double x, double y)[] Corners => ChartToImage is null ? [] : ChartModel.Corners.Select(c => ChartToImage.Map(c.u, c.v)).ToArray();
    public static ChartDetection NotFound(string why) => new() { Found = false, Note = why };

    /// <summary>This detection, made on an image scaled by <paramref name="scale"/> (0.5: a half-size decode), in the
    /// file's full-resolution pixels: patch centres and the homography (so <see cref="Corners"/> too).</summary>
    public ChartDetection AtFullResolution(double scale) => this with
    {
        Patches = Patches.Select(p => p with { X = p.X / scale, Y = p.Y / scale }).ToList(),
        ChartToImage = ChartToImage is { } h ? new Homography(Color.Matrix3.FromRows([1 / scale, 0, 0, 0, 1 / scale, 0, 0, 0, 1]) * h.Matrix) : null,
    };
}
