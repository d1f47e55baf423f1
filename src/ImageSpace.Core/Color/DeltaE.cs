namespace ImageSpace.Core.Color;

/// <summary>Colour differences. CIEDE2000 follows Sharma, Wu &amp; Dalal (2005), "The CIEDE2000 color-difference
/// formula: implementation notes, supplementary test data, and mathematical observations" (kL = kC = kH = 1), and is
/// tested against their published pairs.</summary>
public static class DeltaE
{
    public static double Ciede2000(Vec3 lab1, Vec3 lab2)
    {
        double l1 = lab1.X, a1 = lab1.Y, b1 = lab1.Z, l2 = lab2.X, a2 = lab2.Y, b2 = lab2.Z;
        double c1 = Math.Sqrt(a1 * a1 + b1 * b1), c2 = Math.Sqrt(a2 * a2 + b2 * b2);
        double cBar7 = Math.Pow((c1 + c2) / 2, 7);
        double g = 0.5 * (1 - Math.Sqrt(cBar7 / (cBar7 + Math.Pow(25, 7))));
        double a1p = (1 + g) * a1, a2p = (1 + g) * a2;
        double c1p = Math.Sqrt(a1p * a1p + b1 * b1), c2p = Math.Sqrt(a2p * a2p + b2 * b2);
        double h1p = Hue(b1, a1p), h2p = Hue(b2, a2p);

        double dLp = l2 - l1, dCp = c2p - c1p;
        double dhp = 0;
        if (c1p * c2p != 0)
        {
            dhp = h2p - h1p;
            if (dhp > 180) dhp -= 360;
            else if (dhp < -180) dhp += 360;
        }
        double dHp = 2 * Math.Sqrt(c1p * c2p) * Math.Sin(Rad(dhp / 2));

        double lBarP = (l1 + l2) / 2, cBarP = (c1p + c2p) / 2;
        double hBarP = h1p + h2p;
        if (c1p * c2p != 0)
        {
            if (Math.Abs(h1p - h2p) <= 180) hBarP = (h1p + h2p) / 2;
            else hBarP = h1p + h2p < 360 ? (h1p + h2p + 360) / 2 : (h1p + h2p - 360) / 2;
        }
        double t = 1 - 0.17 * Math.Cos(Rad(hBarP - 30)) + 0.24 * Math.Cos(Rad(2 * hBarP))
                 + 0.32 * Math.Cos(Rad(3 * hBarP + 6)) - 0.20 * Math.Cos(Rad(4 * hBarP - 63));
        double dTheta = 30 * Math.Exp(-Sq((hBarP - 275) / 25));
        double cBarP7 = Math.Pow(cBarP, 7);
        double rc = 2 * Math.Sqrt(cBarP7 / (cBarP7 + Math.Pow(25, 7)));
        double sl = 1 + 0.015 * Sq(lBarP - 50) / Math.Sqrt(20 + Sq(lBarP - 50));
        double sc = 1 + 0.045 * cBarP, sh = 1 + 0.015 * cBarP * t;
        double rt = -Math.Sin(Rad(2 * dTheta)) * rc;
        return Math.Sqrt(Sq(dLp / sl) + Sq(dCp / sc) + Sq(dHp / sh) + rt * (dCp / sc) * (dHp / sh));
    }

    /// <summary>ΔE2000 between two XYZ colours relative to the same white.</summary>
    public static double Ciede2000Xyz(Vec3 xyz1, Vec3 xyz2, Vec3 white) =>
        Ciede2000(Lab.FromXyz(xyz1, white), Lab.FromXyz(xyz2, white));

    private static double Hue(double b, double a)
    {
        if (a == 0 && b == 0) return 0;
        double h = Math.Atan2(b, a) * 180 / Math.PI;
        return h < 0 ? h + 360 : h;
    }

    private static double Rad(double deg) => deg * Math.PI / 180;
    private static double Sq(double x) => x * x;
}
