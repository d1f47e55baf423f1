using ImageSpace.Core.Adjust;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

/// <summary>White balance on the working-space image: the estimated colour of the light is adapted to D65 with
/// Bradford in XYZ (luminance kept). For RAW files a Kelvin setting is applied earlier, at decode, through the
/// camera's own matrices (see <see cref="Raw.DecodeOptions.LightXy"/>); this operator handles Kelvin for photos,
/// and automatic and picked white balance for everything.</summary>
public sealed class WhiteBalanceOperator(WhiteBalanceSetting setting) : IImageOperator
{
    public string Name => "white balance";
    public bool IsIdentity => setting.Mode is WhiteBalanceKind.AsShot or WhiteBalanceKind.None or WhiteBalanceKind.Multipliers;

    /// <summary>The light's colour in working RGB that the last <see cref="Apply"/> neutralised.</summary>
    public Vec3 EstimatedLight { get; private set; }

    public void Apply(RgbImage image, OperatorContext context)
    {
        Vec3 light = setting.Mode switch
        {
            WhiteBalanceKind.Kelvin => WorkingSpace.Space.FromXyz * WhitePoints.FromXy(WhiteBalanceSetting.LightChromaticity(setting.Kelvin, setting.Tint).x,
                WhiteBalanceSetting.LightChromaticity(setting.Kelvin, setting.Tint).y),
            WhiteBalanceKind.Pick => Picked(image, context.Scale),
            _ => AutoWhiteBalance.Estimate(image),
        };
        EstimatedLight = light;
        MatrixOperator.Apply(image, CorrectionFor(light));
    }

    /// <summary>Working RGB → working RGB that turns <paramref name="light"/> into a neutral of the same luminance.</summary>
    public static Matrix3 CorrectionFor(Vec3 light)
    {
        Vec3 xyz = WorkingSpace.Space.ToXyz * light;
        if (!(xyz.Y > 0) || !(xyz.X > 0) || !(xyz.Z > 0)) return Matrix3.Identity;
        return WorkingSpace.Space.FromXyz * Bradford.Adapt(xyz, WhitePoints.D65) * WorkingSpace.Space.ToXyz;
    }

    private Vec3 Picked(RgbImage image, double scale)
    {
        int size = Math.Max(1, (int)Math.Round(setting.Size * scale));
        int cx = (int)Math.Round(setting.X * scale), cy = (int)Math.Round(setting.Y * scale);
        if (cx >= image.Width || cy >= image.Height)
            throw new ArgumentException($"white-balance pick {setting.X},{setting.Y} lies outside the image ({image.Width / scale:0}x{image.Height / scale:0})");
        var (r, g, b) = image.MeanOf(cx - size / 2, cy - size / 2, size, size);
        if (!(r > 0 && g > 0 && b > 0)) throw new ArgumentException($"white-balance pick {setting.X},{setting.Y} is black; pick a lit neutral");
        return new Vec3(r, g, b);
    }
}
