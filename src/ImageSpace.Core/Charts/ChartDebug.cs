using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Charts;

/// <summary>Pictures that show what the detector saw: the image with the chart quad and numbered patch boxes, the
/// rectified (flattened) chart, measured-vs-reference swatches, and the segmentation mask.</summary>
public static class ChartDebug
{
    public static IReadOnlyList<string> Write(string dir, string stem, RgbImage img, double coordinateScale, ChartDetection d, Mat? mask)
    {
        Directory.CreateDirectory(dir);
        var written = new List<string>();
        double display = DisplayScale(img);
        int f = Math.Max(1, (int)Math.Ceiling(Math.Max(img.Width, img.Height) / 1600.0));
        using (var overlay = ToBgr(img, f, display))
        {
            if (d.ChartToImage is { } h)
            {
                // Detection coordinates are full-resolution; this picture is 1/f of the decoded image.
                double k = coordinateScale / f;
                Point P(double u, double v) { var (x, y) = h.Map(u, v); return new Point(x * k, y * k); }
                Cv2.Polylines(overlay, [ChartModel.Corners.Select(c => P(c.u, c.v)).ToArray()], true, Scalar.Lime, 2);
                for (int p = 1; p <= ChartModel.Patches; p++)
                {
                    var (cu, cv) = ChartModel.PatchCenter(p);
                    double s = ChartModel.SampleHalfWidth;
                    var box = new[] { P(cu - s, cv - s), P(cu + s, cv - s), P(cu + s, cv + s), P(cu - s, cv + s) };
                    var patch = d.Patches[p - 1];
                    Cv2.Polylines(overlay, [box], true, patch.Clipped ? Scalar.Red : Scalar.Yellow, 1);
                    Cv2.PutText(overlay, p.ToString(), P(cu - 0.35, cv - 0.2), HersheyFonts.HersheySimplex, 0.4, Scalar.White, 1);
                }
                Cv2.Circle(overlay, P(0, 0), 5, Scalar.Magenta, -1); // the corner at patch 1
            }
            written.Add(Save(overlay, Path.Combine(dir, $"{stem}_overlay.png")));
        }
        if (d.ChartToImage is { } hc)
        {
            using var flat = Rectified(img, hc, coordinateScale, display);
            written.Add(Save(flat, Path.Combine(dir, $"{stem}_rectified.png")));
            using var sw = Swatches(d.Patches);
            written.Add(Save(sw, Path.Combine(dir, $"{stem}_swatches.png")));
        }
        if (mask is not null) written.Add(Save(mask, Path.Combine(dir, $"{stem}_mask.png")));
        return written;
    }

    private static string Save(Mat m, string path)
    {
        Export.AtomicFile.Write(path, tmp => Cv2.ImWrite(tmp, m));
        return path;
    }

    /// <summary>Linear exposure that puts the 99th percentile of green near white.</summary>
    private static double DisplayScale(RgbImage img)
    {
        var g = img.G.Where((_, i) => i % 13 == 0).OrderBy(v => v).ToArray();
        return 1 / Math.Max(g[(int)(g.Length * 0.99)], 1e-6);
    }

    private static readonly Matrix3 ToSrgb = RgbColorSpace.Srgb.FromXyz * WorkingSpace.Space.ToXyz;

    private static Vec3b Encode(double r, double g, double b)
    {
        var s = ToSrgb * new Vec3(r, g, b);
        return new Vec3b(DisplayEncoding.SrgbByte(s.Z), DisplayEncoding.SrgbByte(s.Y), DisplayEncoding.SrgbByte(s.X));
    }

    private static Mat ToBgr(RgbImage img, int f, double scale)
    {
        int w = img.Width / f, h = img.Height / f;
        var m = new Mat(h, w, MatType.CV_8UC3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * f * img.Width + x * f;
                m.Set(y, x, Encode(img.R[i] * scale, img.G[i] * scale, img.B[i] * scale));
            }
        return m;
    }

    public static Mat Rectified(RgbImage img, Homography h, double coordinateScale, double scale)
    {
        const int px = 100; // pixels per pitch
        var m = new Mat(4 * px, 6 * px, MatType.CV_8UC3);
        for (int y = 0; y < 4 * px; y++)
            for (int x = 0; x < 6 * px; x++)
            {
                var (ix, iy) = h.Map((x + 0.5) / px, (y + 0.5) / px);
                int xi = Math.Clamp((int)(ix * coordinateScale), 0, img.Width - 1), yi = Math.Clamp((int)(iy * coordinateScale), 0, img.Height - 1);
                int i = yi * img.Width + xi;
                m.Set(y, x, Encode(img.R[i] * scale, img.G[i] * scale, img.B[i] * scale));
            }
        return m;
    }

    /// <summary>Each patch: measured colour (exposure matched on the white patch) on top, reference below.</summary>
    private static Mat Swatches(IReadOnlyList<PatchSample> patches)
    {
        const int s = 80;
        var reference = ColorCheckerReference.After2014.Working;
        double k = reference[18].Y / Math.Max(patches[18].Rgb.Y, 1e-9);
        var m = new Mat(4 * s, 6 * s, MatType.CV_8UC3, Scalar.Black);
        for (int p = 0; p < 24; p++)
        {
            int x = p % 6 * s, y = p / 6 * s;
            var meas = patches[p].Rgb;
            m.Rectangle(new Rect(x + 4, y + 4, s - 8, s / 2 - 4), ToScalar(Encode(meas.X * k, meas.Y * k, meas.Z * k)), -1);
            m.Rectangle(new Rect(x + 4, y + s / 2, s - 8, s / 2 - 4), ToScalar(Encode(reference[p].X, reference[p].Y, reference[p].Z)), -1);
        }
        return m;
    }

    private static Scalar ToScalar(Vec3b v) => new(v.Item0, v.Item1, v.Item2);
}
