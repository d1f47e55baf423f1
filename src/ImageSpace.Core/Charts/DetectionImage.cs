using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Charts;

/// <summary>The 8-bit grey image contours are searched in, made from the linear image: box-downscaled by an integer
/// factor, luminance normalised by its 99.5th percentile and gamma-encoded (so dark patches keep their edges), and
/// inverted for film negatives (whose chart body is bright). Measurements never use it: they come from the linear
/// image.</summary>
public sealed class DetectionImage : IDisposable
{
    public Mat Grey { get; }
    /// <summary>The linear image box-downscaled by the same factor: colours for scoring orientations cheaply.</summary>
    public RgbImage Small { get; }
    /// <summary>Full-resolution pixels per detection pixel (0.5 when upsampled for tiny patches): a detection pixel
    /// index p (centre at p) is at full-resolution coordinate (p + ½) × Scale.</summary>
    public double Scale { get; }
    /// <summary>Full-resolution pixels per pixel of <see cref="Small"/>.</summary>
    public int SmallFactor { get; }

    private DetectionImage(Mat grey, RgbImage small, double scale, int smallFactor) { Grey = grey; Small = small; Scale = scale; SmallFactor = smallFactor; }

    /// <summary>The same image upsampled 2× (cubic), for charts whose patches are only ~10 pixels wide.</summary>
    public DetectionImage Upsampled()
    {
        var big = new Mat();
        Cv2.Resize(Grey, big, new Size(Grey.Width * 2, Grey.Height * 2), 0, 0, InterpolationFlags.Cubic);
        return new DetectionImage(big, Small.Clone(), Scale / 2, SmallFactor);
    }

    public static DetectionImage Create(RgbImage img, int factor, bool negative)
    {
        int w = img.Width / factor, h = img.Height / factor;
        var y = new float[w * h];
        var small = new RgbImage(w, h);
        float inv = 1f / (factor * factor);
        Parallel.For(0, h, Parallelism.Options, r =>
        {
            for (int c = 0; c < w; c++)
            {
                double sr = 0, sg = 0, sb = 0;
                for (int dy = 0; dy < factor; dy++)
                {
                    int row = (r * factor + dy) * img.Width + c * factor;
                    for (int dx = 0; dx < factor; dx++) { sr += img.R[row + dx]; sg += img.G[row + dx]; sb += img.B[row + dx]; }
                }
                int o = r * w + c;
                small.R[o] = (float)sr * inv; small.G[o] = (float)sg * inv; small.B[o] = (float)sb * inv;
                // Equal-weight channel mean: a rough white balance is enough to see patch edges, and it keeps blue and
                // red patches as visible as green ones whatever the camera space.
                y[o] = Math.Max(0f, (float)(sr + sg + sb) * inv / 3);
            }
        });
        if (negative)
            for (int i = 0; i < y.Length; i++) y[i] = 1f / Math.Max(y[i], 1e-4f);
        var sorted = y.Where((_, i) => i % 7 == 0).OrderBy(v => v).ToArray();
        float top = Math.Max(sorted[(int)(sorted.Length * 0.995)], 1e-6f);
        var bytes = new byte[w * h];
        for (int i = 0; i < y.Length; i++) bytes[i] = (byte)Math.Clamp(255 * Math.Pow(y[i] / top, 1 / 2.2) + 0.5, 0, 255);
        var mat = new Mat(h, w, MatType.CV_8UC1);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, mat.Data, bytes.Length);
        return new DetectionImage(mat, small, factor, factor);
    }

    public void Dispose() { Grey.Dispose(); Small.Dispose(); }
}
