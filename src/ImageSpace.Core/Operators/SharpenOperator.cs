using System.Numerics;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Operators;

/// <summary>Unsharp mask on lightness only, so colours do not fringe and dark and bright edges get alike treatment.
/// Lightness here is 100·√Y: at mid grey it has the slope of L* (118 against 120 per unit Y) and it is a single SIMD
/// instruction. detail = L − Gaussian(L, radius); detail below the threshold (in L* units) is left alone, above it
/// reduced by the threshold (soft, so there is no step); L' = L + amount·detail; R, G, B are scaled by (L'/L)². The radius is in full-resolution pixels and scaled to the image.</summary>
public sealed class SharpenOperator(double amount, double radius, double threshold) : IImageOperator
{
    public string Name => "sharpen";
    public bool IsIdentity => amount <= 0;

    public void Apply(RgbImage image, OperatorContext context)
    {
        if (IsIdentity) return; // exact: zero strength leaves every value as it is, applied or skipped
        int n = image.PixelCount;
        double sigma = radius * context.Scale;
        if (sigma < 0.2) return; // below a fifth of a pixel there is nothing left to sharpen at this size
        var l = Planes.Luminance(image);
        Planes.ForChunks(n, (s, len) =>
        {
            Span<float> v = l.AsSpan(s, len);
            int i = 0, vw = Vector<float>.Count;
            for (; i <= len - vw; i += vw) Vector.SquareRoot(Vector.Max(new Vector<float>(v[i..]), Vector<float>.Zero)).CopyTo(v[i..]);
            for (; i < len; i++) v[i] = MathF.Sqrt(MathF.Max(v[i], 0));
        });
        var blurred = LargeArrayPool<float>.Rent(n);
        try
        {
            using (var src = Planes.Wrap(l, image.Width, image.Height))
            using (var dst = Planes.Wrap(blurred, image.Width, image.Height))
                Cv2.GaussianBlur(src, dst, new Size(0, 0), sigma, sigma, BorderTypes.Reflect);
            float k = (float)(amount / 100), t = (float)(threshold / 100); // L = 100·√Y
            var gain = blurred;
            Planes.ForChunks(n, (s, len) =>
            {
                Span<float> lp = l.AsSpan(s, len), bp = blurred.AsSpan(s, len);
                int i = 0, vw = Vector<float>.Count;
                var vt = new Vector<float>(t);
                var tiny = new Vector<float>(1e-6f);
                for (; i <= len - vw; i += vw)
                {
                    var v = new Vector<float>(lp[i..]);
                    var d = v - new Vector<float>(bp[i..]);
                    var shrunk = Vector.Max(Vector.Abs(d) - vt, Vector<float>.Zero);
                    var soft = Vector.ConditionalSelect(Vector.LessThan(d, Vector<float>.Zero), -shrunk, shrunk);
                    var ratio = Vector.Max(v + soft * k, Vector<float>.Zero) / Vector.Max(v, tiny);
                    var g = ratio * ratio;
                    Vector.ConditionalSelect(Vector.LessThan(v, tiny), Vector<float>.One, g).CopyTo(bp[i..]);
                }
                for (; i < len; i++)
                {
                    float v = lp[i], d = v - bp[i];
                    float soft = MathF.Sign(d) * MathF.Max(MathF.Abs(d) - t, 0);
                    float ratio = MathF.Max(v + soft * k, 0) / MathF.Max(v, 1e-6f);
                    bp[i] = v < 1e-6f ? 1 : ratio * ratio;
                }
            });
            Planes.Scale(image, gain);
        }
        finally
        {
            LargeArrayPool<float>.Return(blurred);
            LargeArrayPool<float>.Return(l);
        }
    }
}
