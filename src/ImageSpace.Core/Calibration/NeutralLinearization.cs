using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>Undoes a camera JPEG's tone curve using the chart's grey ramp: per channel, the measured values of patches
/// 19–24 against the reference luminance, interpolated in log–log (a power law between neighbouring greys, the
/// extreme slopes beyond). After it, values are linear in scene light again and a linear fit makes sense.</summary>
public sealed record NeutralLinearization(double[][] LogIn, double[][] LogOut)
{
    public static NeutralLinearization FromGreys(IReadOnlyList<Vec3> measured, IReadOnlyList<Vec3> referenceXyz)
    {
        var logIn = new double[3][];
        var logOut = new double[3][];
        for (int c = 0; c < 3; c++)
        {
            var pts = Enumerable.Range(18, 6).Select(p => (x: measured[p][c], y: referenceXyz[p].Y))
                .Where(t => t.x > 1e-5).OrderBy(t => t.x).ToList();
            // Keep it monotonic: drop a point that does not rise above the previous one (a clipped white).
            var mono = new List<(double x, double y)>();
            foreach (var t in pts) if (mono.Count == 0 || (t.x > mono[^1].x * 1.001 && t.y > mono[^1].y)) mono.Add(t);
            if (mono.Count < 2) throw new ArgumentException("the grey ramp is unusable for linearisation (clipped or too dark)");
            logIn[c] = mono.Select(t => Math.Log(t.x)).ToArray();
            logOut[c] = mono.Select(t => Math.Log(t.y)).ToArray();
        }
        return new NeutralLinearization(logIn, logOut);
    }

    public double Apply(int channel, double v)
    {
        if (v <= 0) return 0;
        var xs = LogIn[channel]; var ys = LogOut[channel];
        double x = Math.Log(v);
        int i = x <= xs[0] ? 0 : x >= xs[^1] ? xs.Length - 2 : Array.FindLastIndex(xs, a => a <= x);
        i = Math.Clamp(i, 0, xs.Length - 2);
        double slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
        return Math.Exp(ys[i] + slope * (x - xs[i]));
    }

    public Vec3 Apply(Vec3 v) => new(Apply(0, v.X), Apply(1, v.Y), Apply(2, v.Z));
}
