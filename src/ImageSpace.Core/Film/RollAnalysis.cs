using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Film;

/// <summary>A chartless roll analysed from all its frames together (NegPy's roll-level normalisation is the anchor:
/// one set of film parameters per roll, measured on the pooled frames, frames differ only in exposure). The base is
/// the median of the frames' rebate estimates; then, on the pixels of all frames pooled, the near-neutral ones are
/// found iteratively and each layer's log exposure is mapped onto green's by a monotone quadratic
/// (<see cref="BalanceCurve"/>): it carries the slope ratio, the grey balance and the bend that the toe and the
/// camera's crosstalk give the grey axis. The frames' different exposures spread the greys over the whole density
/// range, which is what pins the slopes down; one frame alone cannot.</summary>
public static class RollAnalysis
{
    /// <summary>What one frame contributes: its base (divided by its exposure factor) and a sample of its picture area
    /// (camera RGB, also divided by the exposure factor).</summary>
    public sealed record FrameSample(string Name, double[] BaseNormalized, float[] Pixels);

    public const int PixelsPerFrame = 40000;
    private static readonly double[] SeedTolerances = [0.3, 0.2, 0.12, 0.08, 0.05, 0.035], FollowTolerances = [0.025, 0.018, 0.012];

    public static FrameSample Sample(string name, RgbImage img, double[] baseRgb, double exposureFactor)
    {
        var px = new List<float>();
        int x0 = img.Width / 10, x1 = img.Width * 9 / 10, y0 = img.Height / 10, y1 = img.Height * 9 / 10;
        int step = Math.Max(1, (int)Math.Sqrt((double)(x1 - x0) * (y1 - y0) / PixelsPerFrame));
        for (int y = y0; y < y1; y += step)
            for (int x = x0; x < x1; x += step)
            {
                int i = y * img.Width + x;
                px.Add((float)(img.R[i] / exposureFactor)); px.Add((float)(img.G[i] / exposureFactor)); px.Add((float)(img.B[i] / exposureFactor));
            }
        return new FrameSample(name, baseRgb.Select(v => v / exposureFactor).ToArray(), px.ToArray());
    }

    public sealed record Result(RollProfile Roll, int NeutralPixels, string Note);

    public static Result Fit(IReadOnlyList<FrameSample> frames, FilmStock stock, double[]? unmix)
    {
        if (frames.Count == 0) throw new ArgumentException("no frames to analyse");
        double[] med = Enumerable.Range(0, 3).Select(c => Statistics.Median(frames.Select(t => t.BaseNormalized[c]))).ToArray();
        var accepted = frames.Where(t => Enumerable.Range(0, 3).All(c => Math.Abs(t.BaseNormalized[c] / med[c] - 1) <= 0.10)).ToList();
        if (accepted.Count == 0) accepted = frames.ToList();
        double[] baseN = Enumerable.Range(0, 3).Select(c => Statistics.Median(accepted.Select(t => t.BaseNormalized[c]))).ToArray();
        var p = new InversionParameters(baseN, stock.Gamma, [0, 0, 0], unmix, 0, [0, 0, 0], stock.BlackAndWhite);
        // Log exposures of every sampled pixel, each frame weighted equally.
        var e = new List<(double r, double g, double b)>();
        foreach (var f in accepted)
        {
            int n = f.Pixels.Length / 3, stride = Math.Max(1, n / PixelsPerFrame);
            for (int i = 0; i < n; i += stride)
            {
                var v = p.LogExposure(f.Pixels[3 * i], f.Pixels[3 * i + 1], f.Pixels[3 * i + 2]);
                // Below the base (noise, sprocket light) carries no colour.
                if (v.Item1 > 0.05 && v.Item2 > 0.05 && v.Item3 > 0.05) e.Add(v);
            }
        }
        if (e.Count < 500 || stock.BlackAndWhite)
        {
            double g0 = e.Count > 0 ? Statistics.Median(e.Select(s => s.g)) : 0;
            return new Result(Profile(stock, baseN, unmix, null, [g0, g0, g0], frames, accepted), 0, "too few film pixels or a black-and-white stock: no balance curves");
        }
        // Start: the per-channel medians' differences (a frame's picture is not grey on average, a roll's is closer).
        double cr = Statistics.Median(e.Select(s => s.r - s.g)), cb = Statistics.Median(e.Select(s => s.b - s.g));
        BalanceCurve red = new(-cr, 1, 0, double.MinValue, double.MaxValue), blue = new(-cb, 1, 0, double.MinValue, double.MaxValue);
        // Two passes. The seed is fitted on the shadows and mid-tones only (the 5th–60th percentile of brightness on
        // the film), as straight lines: the densest part of a roll (the scenes' highlights) is where large, nearly
        // neutral but coloured areas gather (a sky's pale horizon, lamps), and a tolerance wide enough to find the grey
        // axis at the start takes them for greys (on the natural test roll a pale sky pulled blue's slope 3 % low, a
        // yellow cast growing with exposure). The second pass follows the seed's axis over the whole range with a
        // tolerance (≤ 0.025 log units, about 6 %) tighter than such areas' distance from it, so the highlights' greys
        // join and the coloured areas do not; only then may the curve bend.
        var brightness = e.Select(s => (s.r + s.g + s.b) / 3).OrderBy(v => v).ToArray();
        double coreLo = brightness[(int)(brightness.Length * 0.05)], coreHi = brightness[(int)(brightness.Length * 0.60)];
        var core = e.Where(s => (s.r + s.g + s.b) / 3 is var m && m >= coreLo && m <= coreHi).ToList();
        List<(double r, double g, double b)> neutral = core;
        foreach (var (pool, tol) in SeedTolerances.Select(t => (core, t)).Concat(FollowTolerances.Select(t => (e, t))))
        {
            bool seed = ReferenceEquals(pool, core);
            var cand = pool.Where(s => Math.Abs(red.Apply(s.r) - s.g) < tol && Math.Abs(blue.Apply(s.b) - s.g) < tol).ToList();
            if (cand.Count < 300) { if (seed) continue; break; }
            neutral = cand;
            // Fitted on bin medians along the grey axis, not on pixels: regressing one noisy channel on another
            // flattens the slope (errors in variables), and the error would grow with the distance from mid-grey.
            var bins = neutral.GroupBy(s => (int)Math.Floor((s.r + s.g + s.b) / 3 / 0.08)).Where(b => b.Count() >= 30)
                .Select(b => (r: Statistics.Median(b.Select(s => s.r)), g: Statistics.Median(b.Select(s => s.g)), b: Statistics.Median(b.Select(s => s.b)))).ToList();
            if (bins.Count < 4) { if (seed) continue; break; }
            red = FitCurve(bins.Select(s => (s.r, s.g)).ToList(), lineOnly: seed) ?? red;
            blue = FitCurve(bins.Select(s => (s.b, s.g)).ToList(), lineOnly: seed) ?? blue;
        }
        // One exposure for the whole roll, taken from the film, not from the pictures: a normally exposed frame holds
        // mid-grey at <see cref="FilmAnalysis.NormalGreyLogExposure"/> above the threshold (the balance curves put red
        // and blue on green's scale), so an underexposed frame or a night scene stays dark and an overexposed one
        // bright, as on the film; the frame's own exposure is the user's. (The roll's greys' median would place a roll
        // of night scenes like one of beaches.)
        double grey = FilmAnalysis.NormalGreyLogExposure;
        var roll = Profile(stock, baseN, unmix, [red, null, blue], [grey, grey, grey], frames, accepted);
        return new Result(roll, neutral.Count, $"{neutral.Count} near-neutral pixels of {e.Count} from {accepted.Count} frames (their median green log exposure {Statistics.Median(neutral.Select(s => s.g)):0.00})");
    }

    /// <summary>Least squares g ≈ a0 + a1·x + a2·x² over the points (bin medians), valid over their range of x;
    /// a straight line when <paramref name="lineOnly"/> or when the quadratic would not stay monotone there. Null when
    /// degenerate.</summary>
    private static BalanceCurve? FitCurve(List<(double x, double g)> pts, bool lineOnly)
    {
        double lo = pts.Min(t => t.x), hi = pts.Max(t => t.x);
        var use = pts;
        if (use.Count < 4 || hi - lo < 0.2) return null;
        var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(use.Count, 3, (i, j) => Math.Pow(use[i].x, j));
        var y = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(use.Count, i => use[i].g);
        var c = a.QR().Solve(y);
        var curve = new BalanceCurve(c[0], c[1], c[2], lo, hi);
        if (curve.IsMonotone && !lineOnly) return curve;
        var a2 = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(use.Count, 2, (i, j) => Math.Pow(use[i].x, j));
        var c2 = a2.QR().Solve(y);
        var line = new BalanceCurve(c2[0], c2[1], 0, lo, hi);
        return line.IsMonotone ? line : null;
    }

    private static RollProfile Profile(FilmStock stock, double[] baseN, double[]? unmix, BalanceCurve?[]? balance, double[] grey,
        IReadOnlyList<FrameSample> frames, IReadOnlyList<FrameSample> accepted) => new()
        {
            Stock = stock.Id, BaseNormalized = baseN, Gamma = stock.Gamma, Grey = grey, Unmix = unmix, BlackAndWhite = stock.BlackAndWhite,
            Balance = balance, Source = $"{frames.Count} frames", Frames = accepted.Select(t => t.Name).ToArray(),
            RejectedFrames = frames.Except(accepted).Select(t => t.Name).ToArray(),
        };
}
