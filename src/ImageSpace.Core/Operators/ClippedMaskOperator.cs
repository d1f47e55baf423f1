using System.Numerics;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

/// <summary>Masked export (the original's "Export Masked Images"): pixels whose brightest channel is above the
/// highlight limit (blown) or whose luminance is below the shadow limit (only noise) are written black, and, when the
/// output format has alpha, fully transparent, so photogrammetry software ignores them. Runs last, on the final
/// values.</summary>
public sealed class ClippedMaskOperator(ExposureLimits limits, bool withAlpha) : IImageOperator
{
    public string Name => "mask clipped";
    public bool IsIdentity => false;

    /// <summary>Share of the pixels masked by the last <see cref="Apply"/>.</summary>
    public double MaskedFraction { get; private set; }

    public void Apply(RgbImage image, OperatorContext context)
    {
        float hi = (float)limits.HighLinear, lo = (float)limits.LowLinear;
        var alpha = withAlpha ? LargeArrayPool<float>.Rent(image.PixelCount) : null;
        long masked = 0;
        float[] R = image.R, G = image.G, B = image.B;
        Planes.ForChunks(image.PixelCount, (s, n) =>
        {
            long local = 0;
            int i = s, end = s + n, vw = Vector<float>.Count;
            var vhi = new Vector<float>(hi);
            var vlo = new Vector<float>(lo);
            for (; i <= end - vw; i += vw)
            {
                var r = new Vector<float>(R, i);
                var g = new Vector<float>(G, i);
                var b = new Vector<float>(B, i);
                var off = Vector.BitwiseOr(Vector.GreaterThan(Vector.Max(r, Vector.Max(g, b)), vhi),
                    Vector.LessThan(r * Planes.Kr + g * Planes.Kg + b * Planes.Kb, vlo));
                if (off != Vector<int>.Zero)
                {
                    Vector.ConditionalSelect(off, Vector<float>.Zero, r).CopyTo(R, i);
                    Vector.ConditionalSelect(off, Vector<float>.Zero, g).CopyTo(G, i);
                    Vector.ConditionalSelect(off, Vector<float>.Zero, b).CopyTo(B, i);
                    local -= Vector.Sum(off); // true lanes are −1
                }
                if (alpha is not null) Vector.ConditionalSelect(off, Vector<float>.Zero, Vector<float>.One).CopyTo(alpha, i);
            }
            for (; i < end; i++)
            {
                float r = R[i], g = G[i], b = B[i];
                bool off = MathF.Max(r, MathF.Max(g, b)) > hi || r * Planes.Kr + g * Planes.Kg + b * Planes.Kb < lo;
                if (off) { R[i] = G[i] = B[i] = 0; local++; }
                if (alpha is not null) alpha[i] = off ? 0 : 1;
            }
            Interlocked.Add(ref masked, local);
        });
        MaskedFraction = masked / (double)image.PixelCount;
        if (alpha is not null) image.Alpha = alpha;
    }
}
