using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Adjust;

/// <summary>One image's linear luminance, as a fine log histogram (count and sum per 1/32 EV), plus how many pixels
/// were clipped. Small (a few KB), so thousands of images can be solved together.</summary>
public sealed record ExposureHistogram(string Path, long[] Count, double[] Sum, long Clipped, long Total)
{
    public const int BinsPerEv = 32, MinEv = -20, MaxEv = 4;
    public const int Bins = (MaxEv - MinEv) * BinsPerEv;
    /// <summary>A pixel whose brightest channel reaches this is clipped (1.0 is the sensor's white).</summary>
    public const float ClipLevel = 0.98f;

    public static int BinOf(double luminance) =>
        Math.Clamp((int)Math.Floor((Math.Log2(Math.Max(luminance, 1e-30)) - MinEv) * BinsPerEv), 0, Bins - 1);

    public static ExposureHistogram Measure(string path, RgbImage img)
    {
        var count = new long[Bins];
        var sum = new double[Bins];
        long clipped = 0;
        object gate = new();
        Parallel.For(0, img.Height, Parallelism.Options, () => (new long[Bins], new double[Bins], 0L), (y, _, local) =>
        {
            for (int x = 0, i = y * img.Width; x < img.Width; x++, i++)
            {
                float r = img.R[i], g = img.G[i], b = img.B[i];
                double l = r * Planes.Kr + g * Planes.Kg + b * Planes.Kb;
                if (MathF.Max(r, MathF.Max(g, b)) >= ClipLevel) { local.Item3++; continue; }
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
                clipped += local.Item3;
            }
        });
        return new ExposureHistogram(path, count, sum, clipped, img.PixelCount);
    }

    /// <summary>Pixels that are black (zero or below: noise around the black level).</summary>
    public long Black => Total - Clipped - Count.Sum();

    /// <summary>The luminance below which a fraction <paramref name="q"/> of all pixels lie, black pixels counting as the
    /// darkest and clipped ones as the brightest (0 or +∞ there); interpolated in log within its 1/32 EV bin.</summary>
    public double Quantile(double q)
    {
        double target = q * Total, seen = Black;
        if (target <= seen) return 0;
        for (int b = 0; b < Bins; b++)
        {
            if (Count[b] > 0 && seen + Count[b] >= target)
                return Math.Pow(2, MinEv + (b + (target - seen) / Count[b]) / BinsPerEv);
            seen += Count[b];
        }
        return double.PositiveInfinity;
    }

    /// <summary>Mean luminance of the pixels ranked between fractions <paramref name="qLo"/> and <paramref name="qHi"/>
    /// of the image (a bin cut by a rank limit counts with the share of its pixels inside).</summary>
    public (double mean, long n) MeanBetween(double qLo, double qHi)
    {
        double lo = qLo * Total, hi = qHi * Total, seen = Black, s = 0, n = 0;
        for (int b = 0; b < Bins && seen < hi; b++)
        {
            if (Count[b] == 0) continue;
            double inside = Math.Min(seen + Count[b], hi) - Math.Max(seen, lo);
            if (inside > 0) { s += Sum[b] * inside / Count[b]; n += inside; }
            seen += Count[b];
        }
        return n < 1 ? (double.NaN, 0) : (s / n, (long)n);
    }
}

/// <summary>Exposure normalisation of a group (photogrammetry sets shot with varying light or exposure): one linear
/// multiplier per image so that a robust luminance statistic matches the group's average (geometric mean) or a chosen
/// reference image. The statistic is the mean linear luminance of the pixels between two percentiles of each image
/// (the limits: 6 % and 96 % by default, the original's numbers), so hot spots and deep shadows are left out. The
/// window is common to the group and narrowed so that no image's clipped or black pixels fall inside it: every image is
/// then measured on the same share of its pixels, and the statistic scales exactly with exposure (a bracketed set comes
/// out equal, clipped frames included).
/// Why not a window of fixed luminance, as before: once clipping pulls its upper edge into the images' own tones, the
/// mean of what lies inside is set by the edges, not by the exposure, and a wrong multiplier fits as well as the right one.</summary>
public static class ExposureNormalization
{
    public sealed record Result(string Path, double Mean, double Multiplier, long PixelsUsed)
    {
        public double Ev => Math.Log2(Multiplier);
    }

    /// <summary>Pixels this close to a black or clipped share are left out as well (noise at the edges).</summary>
    private const double Margin = 0.005;

    /// <summary>The common percentile window (fractions) for a group.</summary>
    public static (double qLo, double qHi) Window(IReadOnlyList<ExposureHistogram> images, ExposureLimits limits)
    {
        double qLo = limits.ShadowPercent / 100, qHi = limits.HighlightPercent / 100;
        foreach (var h in images.Where(h => h.Total > 0))
        {
            if (h.Black > 0) qLo = Math.Max(qLo, (double)h.Black / h.Total + Margin);
            // Clipped pixels rank at the top. A saturated colour that clips at a middling luminance is thereby moved
            // up, which shifts the ranks of what lay above it: with 10 % of a frame clipped that costs ~3 %.
            if (h.Clipped > 0) qHi = Math.Min(qHi, 1 - (double)h.Clipped / h.Total - Margin);
        }
        if (qHi - qLo < 0.05)
            throw new ArgumentException($"exposure normalisation: the images share too few unclipped, non-black pixels (percentiles {qLo:P1}..{qHi:P1}); leave the worst-exposed frames out");
        return (qLo, qHi);
    }

    /// <param name="reference">Path of the image whose exposure the others follow; null = the group's average.</param>
    public static IReadOnlyList<Result> Solve(IReadOnlyList<ExposureHistogram> images, ExposureLimits limits, string? reference = null)
    {
        if (images.Count == 0) return [];
        int refIndex = reference is null ? -1 : images.ToList().FindIndex(h => h.Path == reference);
        if (reference is not null && refIndex < 0) throw new ArgumentException($"reference image {reference} is not among the analysed images");
        var (qLo, qHi) = Window(images, limits);
        var measured = images.Select(h => h.MeanBetween(qLo, qHi)).ToArray();
        var means = measured.Select(m => m.mean).ToArray();
        double target = refIndex >= 0 ? means[refIndex]
            : Math.Exp(means.Where(m => m > 0).Select(m => Math.Log(m)).DefaultIfEmpty(0).Average());
        return images.Select((h, i) => new Result(h.Path, means[i], means[i] > 0 ? target / means[i] : 1, measured[i].n)).ToList();
    }

    /// <summary>For the debug picture: the luminance limits (× the multiplier) that the window means in one image.</summary>
    public static (double lo, double hi) LuminanceLimits(ExposureHistogram h, double multiplier, (double qLo, double qHi) window) =>
        (h.Quantile(window.qLo) * multiplier, h.Quantile(window.qHi) * multiplier);

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
