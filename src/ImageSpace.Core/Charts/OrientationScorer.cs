using ImageSpace.Core.Color;

namespace ImageSpace.Core.Charts;

/// <summary>How well 24 measured colours fit the ColorChecker in one orientation. Never by distance to reference
/// colours (the camera, light and exposure are unknown), but by what survives any of them: after a per-channel gain
/// that makes the bottom row grey, that row must be six greys falling steadily from white to black, and the other
/// 18 patches must follow the reference hues.</summary>
public static class OrientationScorer
{
    public sealed record Score(double Cost, int Monotonic, double NeutralChroma, double HueError)
    {
        /// <summary>A chart, not a coincidence: the grey ramp is there and the hues agree.</summary>
        public bool Plausible => Monotonic >= 4 && NeutralChroma < 0.25 && HueError < 40;
        public double Confidence => Plausible ? Math.Clamp(1.2 - Cost / 4, 0.05, 1) : 0;
    }

    public static Score Evaluate(IReadOnlyList<Vec3> measured, bool negative, ColorCheckerReference reference)
    {
        var m = measured.Select(v => negative ? new Vec3(1 / Math.Max(v.X, 1e-5), 1 / Math.Max(v.Y, 1e-5), 1 / Math.Max(v.Z, 1e-5)) : v).ToArray();
        // Greys near the brightest value in the image may be clipped (overexposed), hence off-colour: the gain (median
        // over the others among white … neutral 3.5) and the neutral-chroma test leave them out.
        double brightest = m.Max(v => v.Max);
        bool Clipped(int p) => m[p].Max >= 0.95 * brightest;
        var greys = Enumerable.Range(18, 5).Where(p => !Clipped(p) && m[p].Min > 0).ToList();
        if (greys.Count < 2) return new Score(99, 0, 9, 180);
        double kr = Statistics.Median(greys.Select(p => m[p].Y / m[p].X)), kb = Statistics.Median(greys.Select(p => m[p].Y / m[p].Z));
        var b = m.Select(v => new Vec3(v.X * kr, v.Y, v.Z * kb)).ToArray();
        double[] lum = b.Select(v => (v.X + v.Y + v.Z) / 3).ToArray();

        int mono = 0;
        var chromas = new List<double>();
        for (int p = 18; p < 23; p++)
        {
            // Successive greys differ by 1.5–3× in reflectance; overexposed ones form a flat plateau at the top.
            bool plateau = Clipped(p) && (Clipped(p + 1) || lum[p] > lum[p + 1]) && p < 21;
            if (lum[p] > 1.15 * lum[p + 1] || plateau) mono++;
            if (!Clipped(p)) chromas.Add((b[p].Max - b[p].Min) / Math.Max(lum[p], 1e-9));
        }
        double chroma = Statistics.Median(chromas);

        double err = 0, weight = 0;
        for (int p = 0; p < 18; p++)
        {
            var (hr, cr) = Hue(reference.Working[p]);
            var (hm, _) = Hue(b[p]);
            double d = Math.Abs(hr - hm) % 360;
            if (d > 180) d = 360 - d;
            err += cr * d; weight += cr;
        }
        double hue = err / weight;
        double cost = hue / 15 + chroma / 0.1 + (5 - mono) * 1.5;
        return new Score(cost, mono, chroma, hue);
    }

    /// <summary>Hue angle and chroma in a simple opponent space of linear RGB (scale-free).</summary>
    private static (double hue, double chroma) Hue(Vec3 v)
    {
        double s = v.X + v.Y + v.Z;
        if (s <= 0) return (0, 0);
        double a = (v.X - v.Y) / s, bb = ((v.X + v.Y) / 2 - v.Z) / s;
        return (Math.Atan2(bb, a) * 180 / Math.PI, Math.Sqrt(a * a + bb * bb));
    }
}
