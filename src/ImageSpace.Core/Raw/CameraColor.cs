using ImageSpace.Core.Color;

namespace ImageSpace.Core.Raw;

/// <summary>The camera's colour characterisation and the white balance, turned into one matrix from white-balanced
/// camera RGB to the working space (linear Rec.2020, D65).
///
/// Where the numbers come from, in order of preference:
/// 1. DNG ForwardMatrix (white-balanced camera → XYZ D50), interpolated between its two illuminants.
/// 2. DNG ColorMatrix (XYZ → camera), interpolated between its two illuminants by the correlated colour temperature
///    of the white (DNG specification 1.6, "Mapping Camera Color Space to CIE XYZ Space").
/// 3. LibRaw's built-in table for the camera (cam_xyz, Adobe's D65 matrices).
/// 4. LibRaw's rgb_cam (camera → sRGB), for files with nothing else.
///
/// White balance is chromatic adaptation: the camera RGB that should become white (the "neutral") is mapped to the
/// working white with Bradford. "As shot" takes the neutral from the file; "none" uses the camera's response to D65,
/// i.e. the scene is rendered colorimetrically without adapting to its light.</summary>
public sealed class CameraColor
{
    private readonly RawMetadata _meta;
    private readonly (Matrix3 m, double cct)[] _colorMatrices;
    private readonly (Matrix3 m, double cct)[] _forwardMatrices;

    public string Source { get; }

    public CameraColor(RawMetadata meta)
    {
        _meta = meta;
        _colorMatrices = meta.DngColors.Where(d => d.HasColorMatrix && d.ColorMatrix.Any(v => v != 0))
            .Select(d => (Matrix3.FromRows(d.ColorMatrix), IlluminantCct(d.Illuminant))).ToArray();
        _forwardMatrices = _colorMatrices.Length == 0 ? [] : meta.DngColors
            .Where(d => d.HasForwardMatrix && d.ForwardMatrix.Any(v => v != 0))
            .Select(d => (Matrix3.FromRows(d.ForwardMatrix), IlluminantCct(d.Illuminant))).ToArray();
        if (_colorMatrices.Length > 0)
        {
            Source = _forwardMatrices.Length > 0 ? "DNG ForwardMatrix" : "DNG ColorMatrix";
            return;
        }
        var camXyz = Matrix3.FromRows(meta.CamXyz.AsSpan(0, 9));
        if (!camXyz.IsZero && Math.Abs(camXyz.Determinant) > 1e-12)
        {
            _colorMatrices = [(camXyz, 6504)];
            Source = "LibRaw camera table";
            return;
        }
        // rgb_cam maps camera RGB scaled by pre_mul to linear sRGB; undo both to get XYZ → camera.
        var rgbCam = new Matrix3(meta.RgbCam[0], meta.RgbCam[1], meta.RgbCam[2], meta.RgbCam[4], meta.RgbCam[5],
            meta.RgbCam[6], meta.RgbCam[8], meta.RgbCam[9], meta.RgbCam[10]);
        if (rgbCam.IsZero || Math.Abs(rgbCam.Determinant) < 1e-12) rgbCam = Matrix3.Identity;
        var pre = meta.PreMul;
        var preDiag = pre[0] > 0 && pre[1] > 0 && pre[2] > 0 ? Matrix3.Diagonal(1 / pre[0], 1 / pre[1], 1 / pre[2]) : Matrix3.Identity;
        _colorMatrices = [(preDiag * rgbCam.Inverse() * RgbColorSpace.Srgb.FromXyz, 6504)];
        Source = "LibRaw rgb_cam";
    }

    /// <summary>Camera RGB of a perfectly white surface lit by D65.</summary>
    public Vec3 D65Neutral => Normalize(ColorMatrixFor(6504) * WhitePoints.D65);

    /// <summary>Camera RGB of a white surface under a light of chromaticity (x, y), through the matrix for its CCT.</summary>
    public Vec3 NeutralFor(double x, double y) => Normalize(ColorMatrixFor(WhitePoints.CctFromXy(x, y)) * WhitePoints.FromXy(x, y));

    /// <summary>The neutral recorded by the camera (DNG AsShotNeutral or the maker-note multipliers), or null.</summary>
    public Vec3? AsShotNeutral
    {
        get
        {
            var n = _meta.AsShotNeutral;
            if (_meta.HasAsShotNeutral && n[0] > 0 && n[1] > 0 && n[2] > 0) return Normalize(new Vec3(n[0], n[1], n[2]));
            var m = _meta.CamMul;
            if (m[0] > 0 && m[1] > 0 && m[2] > 0) return Normalize(new Vec3(1 / m[0], 1 / m[1], 1 / m[2]));
            return null;
        }
    }

    /// <summary>WB multipliers (smallest = 1) that make <paramref name="neutral"/> equal in all channels.</summary>
    public static float[] MultipliersFor(Vec3 neutral)
    {
        double min = Math.Min(1 / neutral.X, Math.Min(1 / neutral.Y, 1 / neutral.Z));
        return [(float)(1 / neutral.X / min), (float)(1 / neutral.Y / min), (float)(1 / neutral.Z / min)];
    }

    /// <summary>Matrix from camera RGB that was multiplied by <paramref name="multipliers"/> to the working space,
    /// adapting <paramref name="neutral"/> to the working white. Scaled so that the brightest unclipped neutral
    /// (all channels equal to 1 after the multipliers, when they balance the neutral) becomes exactly (1, 1, 1).</summary>
    public Matrix3 ToWorking(Vec3 neutral, IReadOnlyList<float> multipliers)
    {
        Matrix3 camToXyzD50;
        double cct = NeutralCct(neutral);
        if (_forwardMatrices.Length > 0)
            camToXyzD50 = Interpolate(_forwardMatrices, cct) * Matrix3.Diagonal(1 / neutral.X, 1 / neutral.Y, 1 / neutral.Z);
        else
        {
            Matrix3 xyzToCam = ColorMatrixFor(cct).Inverse();
            Vec3 white = xyzToCam * neutral;
            camToXyzD50 = Bradford.Adapt(white, WhitePoints.D50) * xyzToCam;
        }
        Matrix3 m = WorkingSpace.FromXyzD50 * camToXyzD50 *
                    Matrix3.Diagonal(1.0 / multipliers[0], 1.0 / multipliers[1], 1.0 / multipliers[2]);
        // Exposure convention: the neutral at the level where its largest channel just saturates has Y = 1.
        Vec3 brightestNeutral = (1.0 / neutral.Max) * neutral;
        Vec3 balanced = new(brightestNeutral.X * multipliers[0], brightestNeutral.Y * multipliers[1], brightestNeutral.Z * multipliers[2]);
        double y = (WorkingSpace.ToXyzD50 * (m * balanced)).Y;
        return (1.0 / y) * m;
    }

    private Matrix3 ColorMatrixFor(double cct) => Interpolate(_colorMatrices, cct);

    /// <summary>CCT of the white a neutral stands for, iterated because the matrix used depends on the CCT.</summary>
    public double NeutralCct(Vec3 neutral)
    {
        double cct = 5000;
        for (int i = 0; i < 8; i++)
        {
            var (x, y) = WhitePoints.ToXy(ColorMatrixFor(cct).Inverse() * neutral);
            if (_colorMatrices.Length < 2) return Math.Clamp(WhitePoints.CctFromXy(x, y), 2000, 12000);
            double next = Math.Clamp(WhitePoints.CctFromXy(x, y), 2000, 12000);
            if (Math.Abs(next - cct) < 1) return next;
            cct = next;
        }
        return cct;
    }

    private static Matrix3 Interpolate((Matrix3 m, double cct)[] set, double cct)
    {
        if (set.Length == 1) return set[0].m;
        var (a, b) = set[0].cct <= set[1].cct ? (set[0], set[1]) : (set[1], set[0]);
        if (cct <= a.cct) return a.m;
        if (cct >= b.cct) return b.m;
        double g = (1 / cct - 1 / b.cct) / (1 / a.cct - 1 / b.cct); // linear in mired, as the DNG spec says
        return g * a.m + (1 - g) * b.m;
    }

    private static Vec3 Normalize(Vec3 v) => (1.0 / v.Max) * v;

    /// <summary>Correlated colour temperature of the EXIF LightSource codes used as DNG CalibrationIlluminant.</summary>
    public static double IlluminantCct(int code) => code switch
    {
        17 or 3 => 2856,     // Standard light A, tungsten
        18 => 4874,          // B
        19 => 6774,          // C
        20 => 5503,          // D55
        21 => 6504,          // D65
        22 => 7504,          // D75
        23 => 5003,          // D50
        24 => 3200,          // ISO studio tungsten
        1 or 4 or 9 => 5500, // daylight, flash, fine weather
        10 => 6500,          // cloudy
        11 => 7500,          // shade
        12 => 6430,          // daylight fluorescent
        13 => 5000,          // day white fluorescent
        14 => 4150,          // cool white fluorescent
        15 => 3450,          // white fluorescent
        16 => 2940,          // warm white fluorescent
        _ => 5003,
    };
}
