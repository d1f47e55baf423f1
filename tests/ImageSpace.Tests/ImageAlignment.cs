using ImageSpace.Core.Imaging;
using OpenCvSharp;
using OpenCvSharp.Features2D;

namespace ImageSpace.Tests;

/// <summary>How closely one image matches another that shows the same scene cropped, scaled or turned differently:
/// SIFT features on contrast-equalised log luminance, a RANSAC homography, then Pearson correlations over the overlap.
/// Used to compare our inversions of real scans with the positives other tools made of them.</summary>
public static class ImageAlignment
{
    public sealed record Match(int Inliers, int Candidates, double LogLuminance, double LogRedOverGreen, double LogBlueOverGreen)
    {
        /// <summary>Over 16×16 cells of the aligned area whose colour in the other image is clear (C* ≥ 10), after one
        /// exposure scalar each (median cell → 0.18): the median absolute hue difference (degrees), the median chroma ratio (this / other),
        /// and the number of such cells.</summary>
        public double HueDifferenceDeg { get; init; } = double.NaN;
        public double ChromaRatio { get; init; } = double.NaN;
        public int ColourCells { get; init; }
        /// <summary>Over all 16×16 cells of the aligned area, without exposure scalars: the median of the cells' luminance
        /// ratios (this / other), how much brighter this image is exposed.</summary>
        public double ExposureRatio { get; init; } = double.NaN;
        /// <summary>The spread (10th to 90th percentile) of the cells' log luminance here over the other's: above 1 this
        /// image has the more contrast.</summary>
        public double ContrastRatio { get; init; } = double.NaN;
    }

    private const double WorkingSide = 1200;

    /// <summary>Aligns <paramref name="other"/> onto <paramref name="image"/>; null when fewer than 8 features match.</summary>
    public static Match? Compare(RgbImage image, RgbImage other)
    {
        var a = LogPlanes(image, WorkingSide / Math.Max(image.Width, image.Height));
        var b = LogPlanes(other, Math.Min(1, WorkingSide / Math.Max(other.Width, other.Height)));
        try
        {
            using var ga = FeatureImage(a[3]);
            using var gb = FeatureImage(b[3]);
            using var sift = SIFT.Create(4000);
            using var da = new Mat();
            using var db = new Mat();
            sift.DetectAndCompute(ga, null, out var ka, da);
            sift.DetectAndCompute(gb, null, out var kb, db);
            using var matcher = new BFMatcher(NormTypes.L2);
            // Lowe's ratio test keeps only matches clearly better than the runner-up.
            var good = matcher.KnnMatch(db, da, 2).Where(k => k.Length == 2 && k[0].Distance < 0.75 * k[1].Distance).Select(k => k[0]).ToArray();
            if (good.Length < 8) return null;
            using var inlierMask = new Mat();
            using var h = Cv2.FindHomography(
                InputArray.Create(good.Select(g => new Point2d(kb[g.QueryIdx].Pt.X, kb[g.QueryIdx].Pt.Y)).ToArray()),
                InputArray.Create(good.Select(g => new Point2d(ka[g.TrainIdx].Pt.X, ka[g.TrainIdx].Pt.Y)).ToArray()),
                HomographyMethods.Ransac, 3, inlierMask);
            if (h.Empty()) return null;
            var warped = b.Select(p => { var w = new Mat(); Cv2.WarpPerspective(p, w, h, a[0].Size(), InterpolationFlags.Linear); return w; }).ToArray();
            using var ones = new Mat(b[0].Size(), MatType.CV_8UC1, new Scalar(255));
            using var valid = new Mat();
            Cv2.WarpPerspective(ones, valid, h, a[0].Size(), InterpolationFlags.Nearest);
            Cv2.Erode(valid, valid, null, null, 10); // keep away from the interpolated rim
            double Corr(Func<Mat[], int, int, double> f)
            {
                double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0; long n = 0;
                int rows = valid.Rows, cols = valid.Cols;
                for (int y = 0; y < rows; y++)
                    for (int x = 0; x < cols; x++)
                    {
                        if (valid.At<byte>(y, x) == 0) continue;
                        double p = f(a, y, x), q = f(warped, y, x);
                        sx += p; sy += q; sxx += p * p; syy += q * q; sxy += p * q; n++;
                    }
                if (n < 100) return double.NaN;
                return (sxy / n - sx / n * sy / n) / Math.Sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
            }
            var result = new Match(Cv2.CountNonZero(inlierMask), good.Length,
                Corr((m, y, x) => m[3].At<float>(y, x)),
                Corr((m, y, x) => m[0].At<float>(y, x) - m[1].At<float>(y, x)),
                Corr((m, y, x) => m[2].At<float>(y, x) - m[1].At<float>(y, x)));
            var cells = ColourCells(a, warped, valid);
            foreach (var w in warped) w.Dispose();
            return cells;
            Match ColourCells(Mat[] mine, Mat[] theirs, Mat ok)
            {
                var pairs = new List<(Core.Color.Vec3 a, Core.Color.Vec3 b)>();
                const int cell = 16;
                int rows = ok.Rows, cols = ok.Cols;
                for (int y0 = 0; y0 + cell <= rows; y0 += cell)
                    for (int x0 = 0; x0 + cell <= cols; x0 += cell)
                    {
                        double[] sa = new double[3], sb = new double[3]; bool all = true;
                        for (int y = y0; y < y0 + cell && all; y++)
                            for (int x = x0; x < x0 + cell; x++)
                            {
                                if (ok.At<byte>(y, x) == 0) { all = false; break; }
                                for (int c = 0; c < 3; c++) { sa[c] += Math.Exp(mine[c].At<float>(y, x)); sb[c] += Math.Exp(theirs[c].At<float>(y, x)); }
                            }
                        if (all) pairs.Add((new Core.Color.Vec3(sa[0], sa[1], sa[2]), new Core.Color.Vec3(sb[0], sb[1], sb[2])));
                    }
                if (pairs.Count < 10) return result;
                var xa = pairs.Select(p => Core.Color.WorkingSpace.ToXyzD50 * p.a).ToArray();
                var xb = pairs.Select(p => Core.Color.WorkingSpace.ToXyzD50 * p.b).ToArray();
                double Spread(Core.Color.Vec3[] v)
                {
                    var l = v.Select(t => Math.Log(Math.Max(t.Y, 1e-9))).Order().ToArray();
                    return l[(int)(l.Length * 0.9)] - l[(int)(l.Length * 0.1)];
                }
                result = result with
                {
                    ExposureRatio = Core.Statistics.Median(Enumerable.Range(0, xa.Length).Select(i => Math.Max(xa[i].Y, 1e-9) / Math.Max(xb[i].Y, 1e-9))),
                    ContrastRatio = Spread(xa) / Spread(xb),
                };
                // Each image's exposure: its median cell is mid-grey (bright lamps would dominate any top percentile).
                double Mid(Core.Color.Vec3[] v) => Core.Statistics.Median(v.Select(t => Math.Max(t.Y, 1e-9)));
                double ka = 0.18 / Mid(xa), kb = 0.18 / Mid(xb);
                var hue = new List<double>(); var chroma = new List<double>();
                for (int i = 0; i < pairs.Count; i++)
                {
                    var la = Core.Color.Lab.FromXyz(ka * xa[i], Core.Color.WhitePoints.D50); var lb = Core.Color.Lab.FromXyz(kb * xb[i], Core.Color.WhitePoints.D50);
                    double cb = Core.Color.Lab.Chroma(lb);
                    if (cb < 10) continue;
                    double d = Math.Abs(Math.Atan2(la.Z, la.Y) - Math.Atan2(lb.Z, lb.Y)) * 180 / Math.PI;
                    hue.Add(d > 180 ? 360 - d : d);
                    chroma.Add(Core.Color.Lab.Chroma(la) / cb);
                }
                if (hue.Count == 0) return result;
                return result with { HueDifferenceDeg = Core.Statistics.Median(hue), ChromaRatio = Core.Statistics.Median(chroma), ColourCells = hue.Count };
            }
        }
        finally
        {
            foreach (var m in a.Concat(b)) m.Dispose();
        }
    }

    /// <summary>log R, log G, log B and log luminance, resized with area averaging.</summary>
    private static Mat[] LogPlanes(RgbImage img, double scale)
    {
        int n = img.Width * img.Height;
        var planes = new float[4][];
        for (int c = 0; c < 4; c++) planes[c] = new float[n];
        for (int i = 0; i < n; i++)
        {
            float r = img.R[i], g = img.G[i], b = img.B[i];
            planes[0][i] = MathF.Log(MathF.Max(1e-4f, r));
            planes[1][i] = MathF.Log(MathF.Max(1e-4f, g));
            planes[2][i] = MathF.Log(MathF.Max(1e-4f, b));
            planes[3][i] = MathF.Log(MathF.Max(1e-4f, 0.2627f * r + 0.678f * g + 0.0593f * b));
        }
        return planes.Select(p =>
        {
            using var full = new Mat(img.Height, img.Width, MatType.CV_32FC1);
            full.SetArray(p);
            var small = new Mat();
            Cv2.Resize(full, small, new Size(0, 0), scale, scale, InterpolationFlags.Area);
            return small;
        }).ToArray();
    }

    /// <summary>8-bit, 1st–99th percentile stretched and CLAHE-equalised, so that two renderings with different tone
    /// curves show the same local structure to the feature detector.</summary>
    private static Mat FeatureImage(Mat logLuminance)
    {
        logLuminance.GetArray(out float[] values);
        var sample = values.Where((_, i) => i % 31 == 0).Order().ToArray();
        float lo = sample[(int)(sample.Length * 0.01)], hi = sample[(int)(sample.Length * 0.99)];
        using var bytes = new Mat();
        logLuminance.ConvertTo(bytes, MatType.CV_8UC1, 255 / (hi - lo), -lo * 255 / (hi - lo));
        using var clahe = Cv2.CreateCLAHE(2.0, new Size(8, 8));
        var equalised = new Mat();
        clahe.Apply(bytes, equalised);
        return equalised;
    }
}
