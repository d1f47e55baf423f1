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

    /// <summary>The camera that took the flat frame ("" for a photo file), to tell a flat of another rig.</summary>
    public string Camera { get; init; } = "";

    /// <summary>Why this flat cannot correct <paramref name="img"/> (taken by <paramref name="camera"/>), or null. A
    /// flat of another shape (another camera, crop or orientation) would put the fall-off in the wrong place.</summary>
    public string? MismatchWith(RgbImage img, string camera)
    {
        double mine = _w / (double)_h, theirs = img.Width / (double)img.Height;
        if (Math.Abs(Math.Log(mine / theirs)) > 0.02)
            return $"the flat field is {_w}x{_h} (aspect {mine:0.00}) and this frame {img.Width}x{img.Height} (aspect {theirs:0.00}): shoot the flat with the same camera, crop and orientation";
        if (Camera != "" && camera != "" && Camera != camera)
            return $"the flat field was taken by {Camera} and this frame by {camera}: shoot the flat with the scanning camera";
        return null;
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
