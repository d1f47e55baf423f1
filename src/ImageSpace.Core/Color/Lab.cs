namespace ImageSpace.Core.Color;

/// <summary>CIE 1976 L*a*b* (CIE 15:2004) and LCh.</summary>
public static class Lab
{
    private const double Epsilon = 216.0 / 24389.0, Kappa = 24389.0 / 27.0;

    public static Vec3 FromXyz(Vec3 xyz, Vec3 white)
    {
        static double F(double t) => t > Epsilon ? Math.Cbrt(t) : (Kappa * t + 16) / 116;
        double fx = F(xyz.X / white.X), fy = F(xyz.Y / white.Y), fz = F(xyz.Z / white.Z);
        return new(116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    public static Vec3 ToXyz(Vec3 lab, Vec3 white)
    {
        double fy = (lab.X + 16) / 116, fx = fy + lab.Y / 500, fz = fy - lab.Z / 200;
        static double Finv(double f) { double f3 = f * f * f; return f3 > Epsilon ? f3 : (116 * f - 16) / Kappa; }
        return new(Finv(fx) * white.X, Finv(fy) * white.Y, Finv(fz) * white.Z);
    }

    /// <summary>Chroma C*ab.</summary>
    public static double Chroma(Vec3 lab) => Math.Sqrt(lab.Y * lab.Y + lab.Z * lab.Z);
}
