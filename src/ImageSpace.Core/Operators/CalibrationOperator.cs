using ImageSpace.Core.Calibration;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

/// <summary>Applies a calibration profile to the working-space image: measured RGB → (linearisation) → model → XYZ D50
/// → working space. A 3×3 profile is one matrix (SIMD); root-polynomials are evaluated per pixel. The result is
/// white-balanced and exposure-normalised to the chart: the calibration includes the white balance.</summary>
public sealed class CalibrationOperator(CalibrationProfile profile) : IImageOperator
{
    public CalibrationProfile Profile { get; } = profile;
    public string Name => "calibration";
    public bool IsIdentity => false;

    public void Apply(RgbImage image, OperatorContext context)
    {
        if (Profile.Linearization is null && Profile.CorrectionModel.AsMatrix is { } m)
        {
            MatrixOperator.Apply(image, WorkingSpace.FromXyzD50 * m);
            return;
        }
        var toWorking = WorkingSpace.FromXyzD50;
        PixelMap.Apply(image, (r, g, b) =>
        {
            var w = toWorking * Profile.ToXyzD50(new Vec3(r, g, b));
            return (w.X, w.Y, w.Z);
        });
    }
}
