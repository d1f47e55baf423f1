using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Film;

/// <summary>Flat-field correction for a scanning rig: a frame of the bare light table (same lens, aperture and light),
/// heavily blurred, gives the light fall-off; each pixel is multiplied by mean / flat so the film is lit evenly before
/// densities are taken (otherwise vignetting would read as density). Gains are limited to 0.25–4.</summary>
public sealed class FlatField
{
    private readonly float[][] _gain;
    private readonly int _w, _h;

    public FlatField(RgbImage flat)
    {
        _w = flat.Width; _h = flat.Height;
        _gain = new float[3][];
        double sigma = Math.Max(flat.Width, flat.Height) / 50.0;
        for (int c = 0; c < 3; c++)
        {
            using var m = new Mat(_h, _w, MatType.CV_32FC1);
            System.Runtime.InteropServices.Marshal.Copy(flat.Plane(c), 0, m.Data, _w * _h);
            using var blurred = new Mat();
            Cv2.GaussianBlur(m, blurred, new Size(0, 0), sigma);
            var b = new float[_w * _h];
            System.Runtime.InteropServices.Marshal.Copy(blurred.Data, b, 0, b.Length);
            double mean = b.Average(v => (double)v);
            _gain[c] = b.Select(v => (float)Math.Clamp(mean / Math.Max(v, 1e-6), 0.25, 4)).ToArray();
        }
    }

    public void Apply(RgbImage img)
    {
        for (int c = 0; c < 3; c++)
        {
            var plane = img.Plane(c);
            var g = _gain[c];
            Parallel.For(0, img.Height, Parallelism.Options, y =>
            {
                // The flat may be another size (e.g. a half-size preview): sample it proportionally.
                int fy = Math.Min(_h - 1, y * _h / img.Height);
                for (int x = 0; x < img.Width; x++) plane[y * img.Width + x] *= g[fy * _w + Math.Min(_w - 1, x * _w / img.Width)];
            });
        }
    }
}
