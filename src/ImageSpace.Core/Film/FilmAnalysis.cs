using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Film;

/// <summary>Estimates from a negative frame (linear camera RGB, no white balance): the film base from the rebate,
/// slopes from the density range, and a neutral reference. None of them is a plain average of the picture.</summary>
public static class FilmAnalysis
{
    /// <summary>Film base: the unexposed film in the border band (outer 8 %) is the brightest film there. Clipped pixels
    /// are left out, and so is bare light (sprocket holes, light leaking past the film): it is much brighter than any
    /// film (the base's density is at least ~0.2), so it forms a separate cluster above a jump in brightness, cut off
    /// at the largest jump of more than 25 % between neighbouring percentiles in the top third. Of the rest, the
    /// median of the 85th–97th percentile band of brightness is taken.</summary>
    public static double[] EstimateBase(RgbImage img)
    {
        int bw = Math.Max(2, img.Width * 8 / 100), bh = Math.Max(2, img.Height * 8 / 100);
        var samples = new List<(float l, float r, float g, float b)>();
        int step = Math.Max(1, (int)Math.Sqrt(img.PixelCount / 400000.0));
        for (int y = 0; y < img.Height; y += step)
            for (int x = 0; x < img.Width; x += step)
            {
                if (x >= bw && x < img.Width - bw && y >= bh && y < img.Height - bh) continue;
                int i = y * img.Width + x;
                float r = img.R[i], g = img.G[i], b = img.B[i];
                if (Math.Max(r, Math.Max(g, b)) >= 0.97f || Math.Min(r, Math.Min(g, b)) <= 0) continue;
                samples.Add(((r + g + b) / 3, r, g, b));
            }
        if (samples.Count < 50) throw new ArgumentException("no unclipped film border to measure the base on; give --film-base x,y,w,h");
        samples.Sort((a, c) => a.l.CompareTo(c.l));
        float P(int pct) => samples[Math.Min(samples.Count - 1, samples.Count * pct / 100)].l;
        int cut = 100; double biggest = 1.25;
        for (int k = 70; k <= 100; k++)
            if (P(k) / Math.Max(P(k - 1), 1e-9f) > biggest) { biggest = P(k) / P(k - 1); cut = k - 1; }
        if (cut < 100) samples = samples.Where(s => s.l <= P(cut)).ToList();
        var band = samples.Skip((int)(samples.Count * 0.85)).Take(Math.Max(1, (int)(samples.Count * 0.12))).ToList();
        return [Statistics.Median(band.Select(s => (double)s.r)), Statistics.Median(band.Select(s => (double)s.g)), Statistics.Median(band.Select(s => (double)s.b))];
    }

    public static double[] BaseFromRectangle(RgbImage img, int x, int y, int w, int h)
    {
        var (r, g, b) = img.MeanOf(x, y, w, h);
        return [r, g, b];
    }

    /// <summary>Interior samples (10 % border left out) of log exposure, for the statistics below.</summary>
    private static List<(double r, double g, double b)> Interior(RgbImage img, InversionParameters p)
    {
        var list = new List<(double, double, double)>();
        int step = Math.Max(1, (int)Math.Sqrt(img.PixelCount / 200000.0));
        for (int y = img.Height / 10; y < img.Height * 9 / 10; y += step)
            for (int x = img.Width / 10; x < img.Width * 9 / 10; x += step)
            {
                int i = y * img.Width + x;
                list.Add(p.LogExposure(img.R[i], img.G[i], img.B[i]));
            }
        return list;
    }

    /// <summary>Slopes from the frame: each layer's robust density range (1st–99th percentile) relative to green's,
    /// scaled to the stock's green slope (only the ratios come from the picture).</summary>
    public static double[] AutoGamma(RgbImage img, double[] baseRgb, FilmStock stock, double[]? unmix = null)
    {
        var unit = new InversionParameters(baseRgb, [1, 1, 1], [0, 0, 0], unmix, 0, [0, 0, 0], false);
        var d = Interior(img, unit);
        double Range(Func<(double r, double g, double b), double> f)
        {
            var v = d.Select(f).OrderBy(x => x).ToArray();
            return v[(int)(v.Length * 0.99)] - v[(int)(v.Length * 0.01)];
        }
        double rr = Range(s => s.r), rg = Range(s => s.g), rb = Range(s => s.b);
        if (rg <= 0) return stock.Gamma;
        return [stock.Gamma[1] * rr / rg, stock.Gamma[1], stock.Gamma[1] * rb / rg];
    }

    /// <summary>A neutral reference without assuming the picture averages to grey: start from the per-channel
    /// medians, then repeatedly keep only the mid-tone pixels that are (nearly) neutral under the current estimate
    /// and take their medians. A frame dominated by one colour keeps its colour; its greys decide.</summary>
    public static double[] AutoGrey(RgbImage img, InversionParameters p)
    {
        var e = Interior(img, p);
        double[] start = [Statistics.Median(e.Select(s => s.r)), Statistics.Median(e.Select(s => s.g)), Statistics.Median(e.Select(s => s.b))];
        return Color.GreyPixels.Refine(e, start, (s, r) => Math.Abs(s.g - r[1]) < 1.0);
    }

    /// <summary>Log exposure above the film's threshold at which a normally exposed frame holds mid-grey: the toe sits
    /// about 4.3 stops (1.3 log10) under grey (shared/docs/film-negative-anchors.md §6.1), so grey's density above the
    /// base is ≈ 1.3 γ.</summary>
    public const double NormalGreyLogExposure = 1.3;

    /// <summary>A grey reference that keeps the frame's colour balance but takes its level from the film, not from the
    /// picture: the frame's neutral estimate is shifted so green's grey is <see cref="NormalGreyLogExposure"/> — a night
    /// scene (thin negative) stays dark and an overexposed frame bright, as on the film, unless the user sets exposure.</summary>
    public static double[] FilmReferred(double[] grey) => grey.Select(g => g - grey[1] + NormalGreyLogExposure).ToArray();

    /// <summary>Exposure of a frame as the camera recorded it (t · ISO / N²), 1 when unknown; the base is stored
    /// divided by it so frames shot at other settings share one roll value.</summary>
    public static double ExposureFactor(Raw.RawMetadata m) =>
        m.ExposureTime > 0 && m.Iso > 0 && m.FNumber > 0 ? m.ExposureTime * m.Iso / (m.FNumber * m.FNumber) : 1;

}
