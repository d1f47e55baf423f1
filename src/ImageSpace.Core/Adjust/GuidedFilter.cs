using OpenCvSharp;

namespace ImageSpace.Core.Adjust;

/// <summary>Self-guided edge-preserving smoothing (He, Sun, Tang, "Guided Image Filtering", TPAMI 2013), in its fast
/// form (He and Sun 2015): the linear coefficients a, b are found on a subsampled copy; the caller forms a·I + b at
/// full resolution with a and b interpolated, so edges stay as sharp as the guide. Box filters are OpenCV's (SIMD,
/// O(1) in the radius).</summary>
public sealed class GuidedFilter : IDisposable
{
    /// <summary>Coefficients on the subsampled grid (CV_32F), and the grid's size.</summary>
    public Mat A { get; } = new();
    public Mat B { get; } = new();

    /// <param name="guide">The image to smooth (CV_32F), which also guides.</param>
    /// <param name="radius">Box radius in pixels of <paramref name="guide"/>.</param>
    /// <param name="epsilon">Variance (in the guide's units squared) below which detail is smoothed away; steps with a
    /// larger variance survive.</param>
    public GuidedFilter(Mat guide, double radius, double epsilon)
    {
        int subsample = Math.Max(1, (int)(radius / 4));
        using var small = new Mat();
        Cv2.Resize(guide, small, new Size(Math.Max(1, guide.Cols / subsample), Math.Max(1, guide.Rows / subsample)), 0, 0, InterpolationFlags.Area);
        int r = Math.Max(1, (int)Math.Round(radius / subsample));
        var k = new Size(2 * r + 1, 2 * r + 1);
        using var mean = new Mat();
        using var sq = new Mat();
        using var meanSq = new Mat();
        Cv2.BoxFilter(small, mean, MatType.CV_32F, k, null, true, BorderTypes.Reflect);
        Cv2.Multiply(small, small, sq);
        Cv2.BoxFilter(sq, meanSq, MatType.CV_32F, k, null, true, BorderTypes.Reflect);
        using var variance = new Mat();
        using var mean2 = new Mat();
        Cv2.Multiply(mean, mean, mean2);
        Cv2.Subtract(meanSq, mean2, variance);
        using var a = new Mat();
        using var denom = new Mat();
        Cv2.Add(variance, new Scalar(epsilon), denom);
        Cv2.Divide(variance, denom, a);
        using var b = new Mat();
        using var aMean = new Mat();
        Cv2.Multiply(a, mean, aMean);
        Cv2.Subtract(mean, aMean, b);
        Cv2.BoxFilter(a, A, MatType.CV_32F, k, null, true, BorderTypes.Reflect);
        Cv2.BoxFilter(b, B, MatType.CV_32F, k, null, true, BorderTypes.Reflect);
    }

    /// <summary>Bilinear sampling positions of full-resolution coordinates on the coefficient grid (pixel centres
    /// aligned, as OpenCV's resize does).</summary>
    public static (int[] i0, float[] w) Axis(int full, int grid)
    {
        var i0 = new int[full];
        var w = new float[full];
        double f = grid / (double)full;
        for (int x = 0; x < full; x++)
        {
            double g = Math.Clamp((x + 0.5) * f - 0.5, 0, grid - 1);
            int k = Math.Min((int)g, Math.Max(0, grid - 2));
            i0[x] = k;
            w[x] = grid == 1 ? 0 : (float)(g - k);
        }
        return (i0, w);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
