using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Core.Adjust;

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
        Planes.ForChunks(image.PixelCount, (s, len) =>
        {
            long local = 0;
            for (int i = s; i < s + len; i++)
            {
                float r = image.R[i], g = image.G[i], b = image.B[i];
                bool off = MathF.Max(r, MathF.Max(g, b)) > hi || r * Planes.Kr + g * Planes.Kg + b * Planes.Kb < lo;
                if (off) { image.R[i] = image.G[i] = image.B[i] = 0; local++; }
                if (alpha is not null) alpha[i] = off ? 0 : 1;
            }
            Interlocked.Add(ref masked, local);
        });
        MaskedFraction = masked / (double)image.PixelCount;
        if (alpha is not null) image.Alpha = alpha;
    }
}
