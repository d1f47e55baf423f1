using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Adjust;

/// <summary>Automatic estimate of the light's colour by the grey-edge hypothesis (van de Weijer, Gevers, Gijsenij,
/// "Edge-based color constancy", IEEE TIP 2007): the average reflectance *difference* in a scene is achromatic, so the
/// Minkowski p-norm of each channel's gradient points at the light. Far more robust than grey-world to large coloured
/// surfaces. Computed on a fixed ~800 px copy, so a preview and the full image give the same answer; clipped pixels
/// and their neighbours are left out, as are the darkest (noise) ones.</summary>
public static class GreyEdge
{
    private const int WorkingSide = 800;
    private const double P = 6, Sigma = 1.0;

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
                for (int i = 0; i < g.Length; i++) if (mask[i] != 0) s += Math.Pow(g[i], P);
                sums[c] = Math.Pow(s, 1 / P);
                gradients[c].Dispose();
            }
            if (!(sums[0] > 0 && sums[1] > 0 && sums[2] > 0)) return new Vec3(1, 1, 1); // flat image: nothing to go on
            return new Vec3(sums[0], sums[1], sums[2]);
        }
        finally
        {
            foreach (var m in small) m.Dispose();
        }
    }
}
