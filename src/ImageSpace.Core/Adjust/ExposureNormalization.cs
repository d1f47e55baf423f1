using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Adjust;

/// <summary>One image's linear luminance, as a fine log histogram (count and sum per 1/32 EV), plus how many pixels
/// were clipped. Small (a few KB), so thousands of images can be solved together.</summary>
public sealed record ExposureHistogram(string Path, long[] Count, double[] Sum, long Clipped, long Total, double ClipOnset)
{
    public const int BinsPerEv = 32, MinEv = -20, MaxEv = 4;
    public const int Bins = (MaxEv - MinEv) * BinsPerEv;
    /// <summary>A pixel whose brightest channel reaches this is clipped (1.0 is the sensor's white).</summary>
    public const float ClipLevel = 0.98f;

    public static int BinOf(double luminance) =>
        Math.Clamp((int)Math.Floor((Math.Log2(Math.Max(luminance, 1e-30)) - MinEv) * BinsPerEv), 0, Bins - 1);
    public static double LowerEdge(int bin) => Math.Pow(2, MinEv + bin / (double)BinsPerEv);

    public static ExposureHistogram Measure(string path, RgbImage img)
    {
        var count = new long[Bins];
        var sum = new double[Bins];
        var clippedAt = new long[Bins];
        object gate = new();
        Parallel.For(0, img.Height, Parallelism.Options, () => (new long[Bins], new double[Bins], new long[Bins]), (y, _, local) =>
        {
            for (int x = 0, i = y * img.Width; x < img.Width; x++, i++)
            {
                float r = img.R[i], g = img.G[i], b = img.B[i];
                double l = r * Planes.Kr + g * Planes.Kg + b * Planes.Kb;
                if (MathF.Max(r, MathF.Max(g, b)) >= ClipLevel) { local.Item3[BinOf(l)]++; continue; }
                if (!(l > 0)) continue; // black or below: noise, never inside a limit
                int k = BinOf(l);
                local.Item1[k]++;
                local.Item2[k] += l;
            }
            return local;
        }, local =>
        {
            lock (gate)
            {
                for (int k = 0; k < Bins; k++) { count[k] += local.Item1[k]; sum[k] += local.Item2[k]; }
                for (int k = 0; k < Bins; k++) clippedAt[k] += local.Item3[k];
            }
        });
        // Where clipping starts: the luminance below which only 1 % of the clipped pixels lie (coloured pixels clip
        // at a lower luminance than neutral ones; a few noisy outliers do not count).
        long clipped = clippedAt.Sum(), seen = 0;
        double onset = double.PositiveInfinity;
        if (clipped > 0)
            for (int k = 0; k < Bins; k++)
                if ((seen += clippedAt[k]) > clipped / 100) { onset = LowerEdge(k); break; }
        return new ExposureHistogram(path, count, sum, clipped, img.PixelCount, onset);
    }

    /// <summary>Mean luminance of the pixels whose value × <paramref name="k"/> lies within [lo, hi); bins cut by a
    /// limit count with the share of their width (in EV) inside it.</summary>
    public (double mean, long n) MeanWithin(double k, double lo, double hi)
    {
        double s = 0, n = 0, lk = Math.Log2(k), llo = Math.Log2(Math.Max(lo, 1e-300)), lhi = Math.Log2(hi);
        for (int b = 0; b < Bins; b++)
        {
            if (Count[b] == 0) continue;
            double a = MinEv + b / (double)BinsPerEv + lk, e = a + 1.0 / BinsPerEv;
            double inside = (Math.Min(e, lhi) - Math.Max(a, llo)) * BinsPerEv;
            if (inside <= 0) continue;
            inside = Math.Min(1, inside);
            s += Sum[b] * inside; n += Count[b] * inside;
        }
        return n < 1 ? (double.NaN, 0) : (s / n, (long)n);
    }
}

/// <summary>Exposure normalisation of a group (photogrammetry sets shot with varying light or exposure): one linear
/// multiplier per image so that the mean luminance of the same tonal range matches the group's average (geometric
/// mean) or a chosen reference image. Hot spots and deep shadows are left out by the limits (the original's 96 % /
/// 6 % of display luminance, i.e. 0.913 / 0.0049 linear). The range is the same for every image *after*
/// normalisation, and shrunk so that no image's clipped highlights fall inside it; the multipliers are found by a
/// fixed-point iteration. So the statistic is exposure-invariant: a bracketed set comes out equal.</summary>
public static class ExposureNormalization
{
    public sealed record Result(string Path, double Mean, double Multiplier, long PixelsUsed)
    {
        public double Ev => Math.Log2(Multiplier);
    }

    /// <param name="reference">Path of the image whose exposure the others follow; null = the group's average.</param>
    public static IReadOnlyList<Result> Solve(IReadOnlyList<ExposureHistogram> images, ExposureLimits limits, string? reference = null)
    {
        if (images.Count == 0) return [];
        int refIndex = reference is null ? -1 : images.ToList().FindIndex(h => h.Path == reference);
        if (reference is not null && refIndex < 0) throw new ArgumentException($"reference image {reference} is not among the analysed images");
        var k = Enumerable.Repeat(1.0, images.Count).ToArray();
        var means = new double[images.Count];
        var used = new long[images.Count];
        for (int iteration = 0; iteration < 50; iteration++)
        {
            var (lo, hi) = CommonRange(images, k, limits);
            for (int i = 0; i < images.Count; i++)
            {
                var (m, n) = images[i].MeanWithin(k[i], lo, hi);
                if (n == 0) (m, n) = images[i].MeanWithin(k[i], 0, double.PositiveInfinity); // nothing in range: use all
                means[i] = m; used[i] = n;
            }
            double target = refIndex >= 0 ? means[refIndex] * k[refIndex]
                : Math.Exp(means.Select((m, i) => Math.Log(m * k[i])).Where(double.IsFinite).DefaultIfEmpty(0).Average());
            double change = 0;
            for (int i = 0; i < images.Count; i++)
            {
                if (!(means[i] > 0)) continue;
                double next = target / means[i];
                change = Math.Max(change, Math.Abs(Math.Log(next / k[i])));
                k[i] = next;
            }
            if (refIndex >= 0) { double s = 1 / k[refIndex]; for (int i = 0; i < k.Length; i++) k[i] *= s; }
            if (change < 1e-6) break;
        }
        return images.Select((h, i) => new Result(h.Path, means[i], k[i], used[i])).ToList();
    }

    /// <summary>The limits in normalised values, narrowed so that every image is below its clip level there.</summary>
    public static (double lo, double hi) CommonRange(IReadOnlyList<ExposureHistogram> images, IReadOnlyList<double> k, ExposureLimits limits)
    {
        double hi = limits.HighLinear, lo = limits.LowLinear;
        for (int i = 0; i < images.Count; i++)
            if (images[i].Clipped > 0) hi = Math.Min(hi, k[i] * images[i].ClipOnset);
        return (lo, Math.Max(hi, lo * 1.01));
    }

    /// <summary>Debug picture of what the statistic left out: the image as grey, pixels above the range red, below it
    /// blue (blended at 40 %, as the original's overlay).</summary>
    public static RgbImage MaskPicture(RgbImage img, double multiplier, double lo, double hi)
    {
        var o = new RgbImage(img.Width, img.Height);
        Planes.ForChunks(img.PixelCount, (s, n) =>
        {
            for (int i = s; i < s + n; i++)
            {
                float r = img.R[i], g = img.G[i], b = img.B[i];
                double l = (r * Planes.Kr + g * Planes.Kg + b * Planes.Kb) * multiplier;
                bool hot = MathF.Max(r, MathF.Max(g, b)) >= ExposureHistogram.ClipLevel || l >= hi, dark = l < lo;
                float grey = (float)Math.Clamp(l, 0, 1);
                (float cr, float cg, float cb) = hot ? (1f, 0.045f, 0.045f) : dark ? (0.045f, 0.045f, 1f) : (grey, grey, grey);
                float a = hot || dark ? 0.4f : 0;
                o.R[i] = grey * (1 - a) + cr * a; o.G[i] = grey * (1 - a) + cg * a; o.B[i] = grey * (1 - a) + cb * a;
            }
        });
        return o;
    }
}
