namespace ImageSpace.Core.Color;

/// <summary>Standard white points (CIE 1931 2°) and conversions between chromaticity, XYZ and correlated colour
/// temperature.</summary>
public static class WhitePoints
{
    /// <summary>ICC PCS D50, the white of the ColorChecker reference Lab values (ISO 15076-1).</summary>
    public static readonly Vec3 D50 = new(0.9642, 1.0, 0.8249);
    /// <summary>D65 from the sRGB / Rec.2020 specifications' chromaticity (0.3127, 0.3290).</summary>
    public static readonly Vec3 D65 = FromXy(0.3127, 0.3290);
    /// <summary>CIE illuminant A (x 0.44757, y 0.40745).</summary>
    public static readonly Vec3 A = FromXy(0.44757, 0.40745);

    public static Vec3 FromXy(double x, double y) => new(x / y, 1.0, (1 - x - y) / y);

    public static (double x, double y) ToXy(Vec3 xyz)
    {
        double s = xyz.X + xyz.Y + xyz.Z;
        return (xyz.X / s, xyz.Y / s);
    }

    /// <summary>Correlated colour temperature by McCamy's cubic (error under 2 K from 2856 K to 6504 K; adequate for
    /// choosing between two calibration matrices).</summary>
    public static double CctFromXy(double x, double y)
    {
        double n = (x - 0.3320) / (0.1858 - y);
        return 449 * n * n * n + 3525 * n * n + 6823.3 * n + 5520.33;
    }

    /// <summary>Chromaticity of a black body (T below 4000 K, Kim et al. cubic spline) or of the CIE daylight locus
    /// (4000 K and above), the usual convention of photo editors' temperature sliders.</summary>
    public static (double x, double y) XyFromCct(double t)
    {
        t = Math.Clamp(t, 1667, 25000);
        double x;
        if (t >= 4000)
        {
            x = t <= 7000
                ? -4.6070e9 / (t * t * t) + 2.9678e6 / (t * t) + 0.09911e3 / t + 0.244063
                : -2.0064e9 / (t * t * t) + 1.9018e6 / (t * t) + 0.24748e3 / t + 0.237040;
            return (x, -3.0 * x * x + 2.870 * x - 0.275);
        }
        x = -0.2661239e9 / (t * t * t) - 0.2343589e6 / (t * t) + 0.8776956e3 / t + 0.179910;
        double y = t <= 2222
            ? -1.1063814 * x * x * x - 1.34811020 * x * x + 2.18555832 * x - 0.20219683
            : -0.9549476 * x * x * x - 1.37418593 * x * x + 2.09137015 * x - 0.16748867;
        return (x, y);
    }
}
