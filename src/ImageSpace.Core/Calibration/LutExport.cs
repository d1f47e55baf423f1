using System.Globalization;
using System.Text;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>The calibration for other tools. The .cube LUT works on sRGB-encoded values: input is an image exported
/// by Image Space without calibration in sRGB (or any sRGB-encoded render of the same camera data), output is the
/// calibrated sRGB. Display-referred: values outside 0–1 cannot pass through a LUT. The matrix text gives the 3×3 in
/// linear working space (Rec.2020, D65) and in linear sRGB, for tools that apply matrices to linear data.</summary>
public static class LutExport
{
    public static string Cube(CalibrationProfile p, int size)
    {
        if (size is < 2 or > 129) throw new ArgumentException("LUT size must be within 2..129 (33 or 65 usual)");
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"TITLE \"Image Space calibration {p.Source} ({p.Model})\"");
        sb.AppendLine("# input and output: sRGB-encoded (IEC 61966-2-1), D65");
        sb.AppendLine($"LUT_3D_SIZE {size}");
        var srgbToWorking = WorkingSpace.Space.FromXyz * RgbColorSpace.Srgb.ToXyz;
        var d50ToSrgb = RgbColorSpace.Srgb.FromXyzAt(WhitePoints.D50);
        // .cube order: red changes fastest.
        for (int b = 0; b < size; b++)
            for (int g = 0; g < size; g++)
                for (int r = 0; r < size; r++)
                {
                    var lin = new Vec3(TransferFunction.Srgb.Decode(r / (size - 1.0)), TransferFunction.Srgb.Decode(g / (size - 1.0)), TransferFunction.Srgb.Decode(b / (size - 1.0)));
                    var o = d50ToSrgb * p.ToXyzD50(srgbToWorking * lin);
                    string E(double v) => TransferFunction.Srgb.Encode(Math.Clamp(v, 0, 1)).ToString("0.000000", inv);
                    sb.Append(E(o.X)).Append(' ').Append(E(o.Y)).Append(' ').AppendLine(E(o.Z));
                }
        return sb.ToString();
    }

    public static string MatrixText(CalibrationProfile p)
    {
        var m = p.CorrectionModel.AsMatrix ?? throw new ArgumentException($"the profile's model is {p.Model}, not a 3×3 matrix; calibrate with --model matrix for a matrix");
        var working = WorkingSpace.FromXyzD50 * m;
        var srgb = RgbColorSpace.Srgb.FromXyzAt(WhitePoints.D50) * m * (WorkingSpace.Space.FromXyz * RgbColorSpace.Srgb.ToXyz);
        string Rows(Matrix3 x) => string.Join("\n", Enumerable.Range(0, 3).Select(r => string.Join(" ", Enumerable.Range(0, 3).Select(c => x[r, c].ToString("0.0000000", CultureInfo.InvariantCulture)))));
        return $"# Image Space calibration {p.Source}: 3x3 colour correction (exposure gain included)\n" +
               $"# linear Rec.2020 (D65) -> linear Rec.2020 (D65)\n{Rows(working)}\n" +
               $"# linear sRGB (D65) -> linear sRGB (D65)\n{Rows(srgb)}\n";
    }
}
