using OpenCvSharp;

namespace ImageSpace.Core.Adjust;

/// <summary>Self-guided edge-preserving smoothing (He, Sun, Tang, "Guided Image Filtering", TPAMI 2013), in its fast
/// form (He and Sun 2015): the linear coefficients a, b are found on a subsampled copy and upsampled, the output
/// a·I + b is formed at full resolution, so edges stay as sharp as the guide. Box filters are OpenCV's (SIMD, O(1) in
/// the radius).</summary>
public static class GuidedFilter
{
    /// <param name="guide">The image to smooth (CV_32F), which also guides.</param>
    /// <param name="radius">Box radius in pixels of <paramref name="guide"/>.</param>
    /// <param name="epsilon">Variance (in the guide's units squared) below which detail is smoothed away; steps with a
    /// larger variance survive.</param>
    public static Mat Smooth(Mat guide, double radius, double epsilon)
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
        Cv2.BoxFilter(a, a, MatType.CV_32F, k, null, true, BorderTypes.Reflect);
        Cv2.BoxFilter(b, b, MatType.CV_32F, k, null, true, BorderTypes.Reflect);
        using var aUp = new Mat();
        using var bUp = new Mat();
        Cv2.Resize(a, aUp, guide.Size(), 0, 0, InterpolationFlags.Linear);
        Cv2.Resize(b, bUp, guide.Size(), 0, 0, InterpolationFlags.Linear);
        var q = new Mat();
        Cv2.Multiply(aUp, guide, q);
        Cv2.Add(q, bUp, q);
        return q;
    }
}
