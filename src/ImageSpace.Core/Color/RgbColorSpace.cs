namespace ImageSpace.Core.Color;

/// <summary>An RGB colour space defined by its primaries and white (chromaticities). The matrices are derived from
/// the chromaticities (SMPTE RP 177), so every space is defined in one line and they all agree with each other.</summary>
public sealed class RgbColorSpace
{
    public string Name { get; }
    public (double x, double y) Red { get; }
    public (double x, double y) Green { get; }
    public (double x, double y) Blue { get; }
    public Vec3 White { get; }
    /// <summary>Linear RGB → XYZ relative to this space's own white.</summary>
    public Matrix3 ToXyz { get; }
    public Matrix3 FromXyz { get; }

    public RgbColorSpace(string name, (double, double) r, (double, double) g, (double, double) b, Vec3 white)
    {
        Name = name; Red = r; Green = g; Blue = b; White = white;
        Vec3 pr = WhitePoints.FromXy(r.Item1, r.Item2), pg = WhitePoints.FromXy(g.Item1, g.Item2), pb = WhitePoints.FromXy(b.Item1, b.Item2);
        var p = new Matrix3(pr.X, pg.X, pb.X, pr.Y, pg.Y, pb.Y, pr.Z, pg.Z, pb.Z);
        Vec3 s = p.Inverse() * white;
        ToXyz = p * Matrix3.Diagonal(s);
        FromXyz = ToXyz.Inverse();
    }

    /// <summary>Linear RGB of this space → XYZ adapted (Bradford) to <paramref name="white"/>.</summary>
    public Matrix3 ToXyzAt(Vec3 white) => Bradford.Adapt(White, white) * ToXyz;
    /// <summary>XYZ relative to <paramref name="white"/> → linear RGB of this space.</summary>
    public Matrix3 FromXyzAt(Vec3 white) => FromXyz * Bradford.Adapt(white, White);

    public static readonly RgbColorSpace Srgb = new("sRGB", (0.64, 0.33), (0.30, 0.60), (0.15, 0.06), WhitePoints.D65);
    public static readonly RgbColorSpace Rec2020 = new("Rec.2020", (0.708, 0.292), (0.170, 0.797), (0.131, 0.046), WhitePoints.D65);
    public static readonly RgbColorSpace DisplayP3 = new("Display P3", (0.680, 0.320), (0.265, 0.690), (0.150, 0.060), WhitePoints.D65);
    public static readonly RgbColorSpace AdobeRgb = new("Adobe RGB (1998)", (0.64, 0.33), (0.21, 0.71), (0.15, 0.06), WhitePoints.D65);
    public static readonly RgbColorSpace ProPhoto = new("ProPhoto RGB", (0.7347, 0.2653), (0.1596, 0.8404), (0.0366, 0.0001), WhitePoints.D50);
    /// <summary>ACEScg (AP1 primaries, ACES white ≈ D60; S-2014-004).</summary>
    public static readonly RgbColorSpace AcesCg = new("ACEScg", (0.713, 0.293), (0.165, 0.830), (0.128, 0.044), WhitePoints.FromXy(0.32168, 0.33767));
}

/// <summary>The one working space of the pipeline: linear Rec.2020 primaries with a D65 white. Every decoded image is
/// white-balanced (adapted) to D65 and expressed here; wide enough for every ColorChecker patch and real-world
/// surface colour, and its white is the white of most output spaces.</summary>
public static class WorkingSpace
{
    public static RgbColorSpace Space => RgbColorSpace.Rec2020;
    public static Matrix3 ToXyzD50 { get; } = RgbColorSpace.Rec2020.ToXyzAt(WhitePoints.D50);
    public static Matrix3 FromXyzD50 { get; } = RgbColorSpace.Rec2020.FromXyzAt(WhitePoints.D50);
}
