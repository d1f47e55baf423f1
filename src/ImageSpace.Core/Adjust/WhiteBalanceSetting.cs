using System.Globalization;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Adjust;

public enum WhiteBalanceKind { AsShot, Auto, Kelvin, Pick, None, Multipliers }

/// <summary>The recipe's one white-balance setting: asshot | auto | KELVIN[,TINT] | pick:X,Y[,SIZE] | none (raw
/// channels) | m:R,G,B (camera multipliers). Where it can, it is applied at decode (as shot, none, multipliers, and
/// Kelvin for RAWs through the camera's own matrices); automatic and picked balance need the image and run as an
/// adjustment (Operators/WhiteBalanceOperator).</summary>
public sealed record WhiteBalanceSetting(WhiteBalanceKind Mode, double Kelvin = 0, double Tint = 0, double X = 0, double Y = 0, int Size = 11,
    float[]? Multipliers = null)
{
    /// <summary>True when this setting is a decode option for this kind of input (photos have no camera matrices, so
    /// Kelvin is an adjustment there, and raw channels or camera multipliers mean nothing).</summary>
    public bool AppliesAtDecode(bool photo) => Mode switch
    {
        WhiteBalanceKind.AsShot => true,
        WhiteBalanceKind.None or WhiteBalanceKind.Multipliers => !photo,
        WhiteBalanceKind.Kelvin => !photo,
        _ => false,
    };

    /// <summary>The decode options carrying this setting (for <see cref="AppliesAtDecode"/> settings).</summary>
    public Raw.DecodeOptions DecodeOptions(Raw.DecodeOptions d) => Mode switch
    {
        WhiteBalanceKind.None => d with { WhiteBalance = Raw.WhiteBalanceMode.None },
        WhiteBalanceKind.Multipliers => d with { WhiteBalance = Raw.WhiteBalanceMode.Custom, Multipliers = Multipliers },
        WhiteBalanceKind.Kelvin => d with { WhiteBalance = Raw.WhiteBalanceMode.Light, LightXy = LightXy },
        _ => d,
    };

    private double[] LightXy => LightChromaticity(Kelvin, Tint) is var (x, y) ? [x, y] : [];

    public static WhiteBalanceSetting Parse(string s)
    {
        string t = s.Trim().ToLowerInvariant();
        if (t is "asshot" or "as-shot" or "") return new(WhiteBalanceKind.AsShot);
        if (t == "auto") return new(WhiteBalanceKind.Auto);
        if (t == "none") return new(WhiteBalanceKind.None);
        if (t.StartsWith("m:", StringComparison.Ordinal))
        {
            var m = Numbers(t[2..]);
            if (m is { Length: 3 } && m.All(v => v > 0 && !double.IsInfinity(v)))
                return new(WhiteBalanceKind.Multipliers, Multipliers: m.Select(v => (float)v).ToArray());
            throw new ArgumentException($"white balance '{s}': camera multipliers need m:R,G,B, three positive numbers");
        }
        if (t.StartsWith("pick:", StringComparison.Ordinal))
        {
            var v = Numbers(t[5..]);
            if (v is { Length: 2 or 3 } && v[0] >= 0 && v[1] >= 0 && (v.Length == 2 || v[2] is >= 1 and <= 501))
                return new(WhiteBalanceKind.Pick, X: v[0], Y: v[1], Size: v.Length == 3 ? (int)v[2] : 11);
            throw new ArgumentException($"white balance '{s}': pick needs pick:X,Y[,SIZE] with X, Y ≥ 0 (full-resolution pixels) and SIZE 1..501");
        }
        var k = Numbers(t);
        if (k is { Length: 1 or 2 } && k[0] is >= 1667 and <= 25000 && (k.Length == 1 || k[1] is >= -150 and <= 150))
            return new(WhiteBalanceKind.Kelvin, Kelvin: k[0], Tint: k.Length == 2 ? k[1] : 0);
        throw new ArgumentException($"white balance '{s}' is not asshot, auto, KELVIN[,TINT] (1667..25000 K, tint −150..150), pick:X,Y[,SIZE], none or m:R,G,B");
    }

    private static double[]? Numbers(string s)
    {
        var parts = s.Split(',');
        var v = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i])) return null;
        return v;
    }

    /// <summary>Chromaticity of the light this setting describes: the Planckian (below 4000 K) or daylight locus at
    /// <see cref="Kelvin"/>, moved along the locus normal in CIE 1960 uv by Tint/1000 (positive: the light was greener,
    /// so the correction adds magenta, as photo editors' tint sliders do).</summary>
    public static (double x, double y) LightChromaticity(double kelvin, double tint)
    {
        var (x, y) = WhitePoints.XyFromCct(kelvin);
        if (tint == 0) return (x, y);
        var (u, v) = ToUv(x, y);
        // Direction of the locus at this temperature, by a small step in mired; its normal points to green (+v side).
        double mired = 1e6 / kelvin;
        var (x2, y2) = WhitePoints.XyFromCct(1e6 / (mired - 1));
        var (u2, v2) = ToUv(x2, y2);
        double du = u2 - u, dv = v2 - v, len = Math.Sqrt(du * du + dv * dv);
        double nu = -dv / len, nv = du / len;
        if (nv < 0) { nu = -nu; nv = -nv; }
        u += nu * tint / 1000; v += nv * tint / 1000;
        double d = 2 * u - 8 * v + 4; // CIE 1960 uv → xy
        return (3 * u / d, 2 * v / d);
    }

    private static (double u, double v) ToUv(double x, double y)
    {
        double d = -2 * x + 12 * y + 3;
        return (4 * x / d, 6 * y / d);
    }
}
