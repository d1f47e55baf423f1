using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

/// <summary>Exposure on linear data: every channel × <see cref="Factor"/> (2^EV times the image's normalisation
/// multiplier). Nothing is clipped here; encoders clip.</summary>
public sealed class ExposureOperator(double factor) : IImageOperator
{
    public double Factor { get; } = factor;
    public string Name => "exposure";
    public bool IsIdentity => Factor == 1;

    public void Apply(RgbImage image, OperatorContext context) =>
        MatrixOperator.Apply(image, Color.Matrix3.Diagonal(Factor, Factor, Factor));
}
