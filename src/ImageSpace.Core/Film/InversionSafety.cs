using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Film;

/// <summary>Keeps the inversion finite. Where the negative is densest (the scene's highlights) the transmittance is
/// small, so sensor noise, demosaic overshoot, dust and the unmix can push single pixels to ≤ 0, and 10^(D/γ)
/// explodes. The floor per channel is the densest film the frame really holds, measured on a 4×-reduced copy (area
/// average, so isolated noise and edge overshoot do not count), at the 0.05th percentile, less 0.1 density of margin;
/// never below the base less <see cref="InversionParameters.MaxDensityAboveBase"/>. No output pixel can then be
/// brighter than about (1/0.79)^(1/γ) ≈ 1.5× the brightest real area of the frame.</summary>
public static class InversionSafety
{
    public const double Percentile = 0.0005, MarginDensity = 0.1;

    public static double[] FloorFor(RgbImage img, InversionParameters p)
    {
        int f = 4, w = Math.Max(1, img.Width / f), h = Math.Max(1, img.Height / f);
        // Leave the outer 3 % out: beyond the film there may be black holder or unlit scanner bed.
        int x0 = w * 3 / 100, x1 = w - x0, y0 = h * 3 / 100, y1 = h - y0;
        var vals = new[] { new List<float>(), new List<float>(), new List<float>() };
        for (int by = y0; by < y1; by++)
            for (int bx = x0; bx < x1; bx++)
            {
                double r = 0, g = 0, b = 0; int n = 0;
                for (int yy = by * f; yy < Math.Min(img.Height, by * f + f); yy++)
                    for (int xx = bx * f; xx < Math.Min(img.Width, bx * f + f); xx++)
                    {
                        int i = yy * img.Width + xx;
                        r += img.R[i]; g += img.G[i]; b += img.B[i]; n++;
                    }
                if (n == 0) continue;
                var (ur, ug, ub) = p.Mixed(r / n, g / n, b / n);
                vals[0].Add((float)ur); vals[1].Add((float)ug); vals[2].Add((float)ub);
            }
        var floor = new double[3];
        for (int c = 0; c < 3; c++)
        {
            if (vals[c].Count == 0) { floor[c] = 0; continue; }
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(vals[c]);
            double q = Statistics.SelectInPlace(span, (int)(span.Length * Percentile));
            floor[c] = Math.Max(0, q) * Math.Pow(10, -MarginDensity);
        }
        return floor;
    }
}
