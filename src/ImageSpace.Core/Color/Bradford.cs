namespace ImageSpace.Core.Color;

/// <summary>Bradford chromatic adaptation (Lam 1985, as used by ICC v4 and Lindbloom). The matrix maps XYZ seen under
/// <c>from</c> to the corresponding XYZ under <c>to</c>; whites are normalised to Y = 1 first so only chromaticity
/// adapts, never exposure.</summary>
public static class Bradford
{
    private static readonly Matrix3 Cone = new(
        0.8951, 0.2664, -0.1614,
        -0.7502, 1.7135, 0.0367,
        0.0389, -0.0685, 1.0296);
    private static readonly Matrix3 ConeInverse = Cone.Inverse();

    public static Matrix3 Adapt(Vec3 fromWhite, Vec3 toWhite)
    {
        Vec3 src = Cone * ((1.0 / fromWhite.Y) * fromWhite);
        Vec3 dst = Cone * ((1.0 / toWhite.Y) * toWhite);
        return ConeInverse * Matrix3.Diagonal(dst.X / src.X, dst.Y / src.Y, dst.Z / src.Z) * Cone;
    }
}
