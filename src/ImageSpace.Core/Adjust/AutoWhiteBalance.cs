using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Adjust;

/// <summary>Automatic estimate of the light's colour in two stages. First the grey-edge hypothesis (van de Weijer, Gevers, Gijsenij,
/// "Edge-based color constancy", IEEE TIP 2007): the average reflectance *difference* in a scene is achromatic, so the
/// Minkowski p-norm of each channel's gradient points at the light. Far more robust than grey-world to large coloured
/// surfaces. Then that estimate is refined on the picture's own near-grey pixels (<see cref="GreyPixels"/>): where
/// there are greys (a chart, a wall, a road) they decide; where there are none, grey-edge stands. Computed on a fixed ~800 px copy, so a preview and the full image give the same answer; clipped pixels
/// and their neighbours are left out, as are the darkest (noise) ones.</summary>
public static class AutoWhiteBalance
{
    private const int WorkingSide = 500;
    private const double Sigma = 1.0; // the Minkowski norm is p = 6 (written out below)

    public static Vec3 Estimate(RgbImage image)
    {
        double f = Math.Min(1.0, WorkingSide / (double)Math.Max(image.Width, image.Height));
        int w = Math.Max(8, (int)Math.Round(image.Width * f)), h = Math.Max(8, (int)Math.Round(image.Height * f));
        var small = new Mat[3];
        for (int c = 0; c < 3; c++)
        {
            using var full = Planes.Wrap(image.Plane(c), image.Width, image.Height);
            small[c] = new Mat();
            Cv2.Resize(full, small[c], new Size(w, h), 0, 0, InterpolationFlags.Area);
            Cv2.GaussianBlur(small[c], small[c], new Size(0, 0), Sigma);
        }
        try
        {
            // Exclusion mask: near-clipped pixels (dilated: their edges are clipped too) and the noise floor.
            using var maxRgb = new Mat();
            Cv2.Max(small[0], small[1], maxRgb);
            Cv2.Max(maxRgb, small[2], maxRgb);
            Cv2.MinMaxLoc(maxRgb, out _, out double peak);
            using var clipped = new Mat();
            Cv2.Threshold(maxRgb, clipped, 0.95 * peak, 255, ThresholdTypes.Binary);
            clipped.ConvertTo(clipped, MatType.CV_8UC1);
            Cv2.Dilate(clipped, clipped, null, null, 2);
            var sums = new double[3];
            var gradients = new Mat[3];
            for (int c = 0; c < 3; c++)
            {
                using var gx = new Mat();
                using var gy = new Mat();
                Cv2.Sobel(small[c], gx, MatType.CV_32F, 1, 0);
                Cv2.Sobel(small[c], gy, MatType.CV_32F, 0, 1);
                gradients[c] = new Mat();
                Cv2.Magnitude(gx, gy, gradients[c]);
            }
            var mask = new byte[w * h];
            clipped.GetArray(out byte[] clip);
            maxRgb.GetArray(out float[] level);
            for (int i = 0; i < mask.Length; i++) mask[i] = (byte)(clip[i] == 0 && level[i] > 0.002 * peak ? 1 : 0);
            for (int c = 0; c < 3; c++)
            {
                gradients[c].GetArray(out float[] g);
                double s = 0;
                for (int i = 0; i < g.Length; i++) if (mask[i] != 0) { double v = g[i], v3 = v * v * v; s += v3 * v3; } // p = 6
                sums[c] = Math.Pow(s, 1.0 / 6);
                gradients[c].Dispose();
            }
            if (!(sums[0] > 0 && sums[1] > 0 && sums[2] > 0)) return new Vec3(1, 1, 1); // flat image: nothing to go on
            // Grey pixels: lit (above 2 % of the peak), unclipped, in natural-log RGB.
            small[0].GetArray(out float[] rs);
            small[1].GetArray(out float[] gs);
            small[2].GetArray(out float[] bs);
            var samples = new List<(double r, double g, double b)>();
            int every = Math.Max(1, mask.Length / 30_000); // a 30k-pixel sample decides as well as all of them
            for (int i = 0; i < mask.Length; i += every)
                if (mask[i] != 0 && rs[i] > 0 && gs[i] > 0 && bs[i] > 0 && level[i] > 0.02 * peak)
                    samples.Add((Math.Log(rs[i]), Math.Log(gs[i]), Math.Log(bs[i])));
            // Brightest-neutral flavour: only the brighter half of the lit pixels vote (greys under the light, not shadows).
            double brightG = Statistics.Median(samples.Select(s => s.g));
            var refined = GreyPixels.Refine(samples, [Math.Log(sums[0]), Math.Log(sums[1]), Math.Log(sums[2])], (s, _) => s.g >= brightG, Math.Max(50, samples.Count / 400), [0.4, 0.25, 0.12, 0.06, 0.04]);
            return new Vec3(Math.Exp(refined[0]), Math.Exp(refined[1]), Math.Exp(refined[2]));
        }
        finally
        {
            foreach (var m in small) m.Dispose();
        }
    }
}
