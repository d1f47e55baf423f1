using System.Numerics;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

/// <summary>Wavelet denoising on linear data.
/// 1. The image's own noise model: per channel, variance = a·signal + b (photon plus read noise), fitted on the finest
///    wavelet level in brightness bins. That follows the ISO and the size of the image by itself (a preview, being
///    averaged down, is less noisy and gets less smoothing).
/// 2. A variance-stabilising transform turns that into noise of constant level (generalised Anscombe).
/// 3. An orthonormal opponent transform (luminance, two chroma planes): colour noise is treated on its own.
/// 4. Each plane's starlet (à-trous B3) levels are shrunk by a local Wiener gain w·max(0, 1 − k·σ²/E[w²]), with
///    E[w²] the local energy at that level. Strength 50 → k = 1 (the estimated noise), 100 → 2; chroma gets 1.5×.
/// 5. Inverse of each step.
/// Chosen over non-local means by measured PSNR and speed (tests and bench/).</summary>
public sealed class DenoiseOperator(double strength) : IImageOperator
{
    public string Name => "denoise";
    public bool IsIdentity => strength <= 0;

    private const int FullResolutionLevels = 5;
    private const double ChromaBoost = 1.5;

    public void Apply(RgbImage image, OperatorContext context)
    {
        if (IsIdentity) return; // exact: zero strength leaves every value as it is, applied or skipped
        int w = image.Width, h = image.Height, n = image.PixelCount;
        int levels = Math.Clamp((int)Math.Round(FullResolutionLevels + Math.Log2(Math.Max(context.Scale, 1e-3))), 1, FullResolutionLevels);
        var models = new NoiseModel[3];
        // The three estimates are serial inside (sorting); side by side they take the time of one on two cores.
        Parallel.For(0, 3, Parallelism.Options, c => models[c] = NoiseModel.Estimate(image.Plane(c), w, h));
        for (int c = 0; c < 3; c++) models[c].Forward(image.Plane(c), n);
        Opponent(image, forward: true);
        double k = strength / 50;
        var buffers = new float[4][];
        for (int i = 0; i < 4; i++) buffers[i] = LargeArrayPool<float>.Rent(n);
        try
        {
            for (int c = 0; c < 3; c++) ShrinkPlane(image.Plane(c), w, h, levels, c == 0 ? k : k * ChromaBoost, buffers);
        }
        finally
        {
            foreach (var b in buffers) LargeArrayPool<float>.Return(b);
        }
        Opponent(image, forward: false);
        for (int c = 0; c < 3; c++) models[c].Inverse(image.Plane(c), n);
    }

    private static void ShrinkPlane(float[] plane, int w, int h, int levels, double k, float[][] buffers)
    {
        int n = w * h;
        float[] next = buffers[0], tmp = buffers[1], energy = buffers[2], acc = buffers[3];
        Array.Clear(acc, 0, n);
        float[] cur = plane;
        double sigma1 = 0;
        for (int j = 0; j < levels; j++)
        {
            int step = 1 << j;
            ATrous.Smooth(cur, next, tmp, w, h, step);
            // This level's detail goes into cur (its smooth part is in next), its square into energy.
            Planes.ForChunks(n, (s, len) =>
            {
                Span<float> a = cur.AsSpan(s, len), b = next.AsSpan(s, len), e = energy.AsSpan(s, len);
                int i = 0, vw = Vector<float>.Count;
                for (; i <= len - vw; i += vw)
                {
                    var d = new Vector<float>(a[i..]) - new Vector<float>(b[i..]);
                    d.CopyTo(a[i..]);
                    (d * d).CopyTo(e[i..]);
                }
                for (; i < len; i++) { float d = a[i] - b[i]; a[i] = d; e[i] = d * d; }
            });
            // Noise at this level: measured on the finest level (median absolute deviation; the signal is sparse
            // there) and scaled to coarser levels as white noise would be.
            if (j == 0) sigma1 = Mad(cur, n) / ATrous.WhiteNoiseLevelSigma[0];
            double sigma = sigma1 * ATrous.WhiteNoiseLevelSigma[j];
            float noise = (float)(k * sigma * sigma);
            ATrous.Smooth(energy, energy, tmp, w, h, step); // local energy at this level's scale
            Planes.ForChunks(n, (s, len) =>
            {
                Span<float> d = cur.AsSpan(s, len), e = energy.AsSpan(s, len), o = acc.AsSpan(s, len);
                int i = 0, vw = Vector<float>.Count;
                var vn = new Vector<float>(noise);
                var tiny = new Vector<float>(1e-30f);
                for (; i <= len - vw; i += vw)
                {
                    var gain = Vector.Max(Vector<float>.Zero, Vector<float>.One - vn / Vector.Max(new Vector<float>(e[i..]), tiny));
                    (new Vector<float>(o[i..]) + new Vector<float>(d[i..]) * gain).CopyTo(o[i..]);
                }
                for (; i < len; i++) o[i] += d[i] * MathF.Max(0, 1 - noise / MathF.Max(e[i], 1e-30f));
            });
            (cur, next) = (next, cur); // the smooth part is the next level's input; the detail buffer is free
        }
        Planes.ForChunks(n, (s, len) =>
        {
            for (int i = s; i < s + len; i++) plane[i] = cur[i] + acc[i];
        });
        // Hand the pooled buffer back in its slot whichever of the two ended up holding it.
        buffers[0] = ReferenceEquals(cur, plane) ? next : cur;
    }

    private static double Mad(float[] d, int n)
    {
        int stride = Math.Max(1, n / 200_000);
        var sample = new float[(n + stride - 1) / stride];
        for (int i = 0, k = 0; i < n; i += stride, k++) sample[k] = MathF.Abs(d[i]);
        // Selection, not sorting: a LINQ OrderBy over these 200,000 values cost ~40 ms a plane (a preview's whole budget).
        return Statistics.MedianInPlace(sample) / 0.6745;
    }

    /// <summary>Orthonormal opponent transform: (R+G+B)/√3, (R−B)/√2, (R−2G+B)/√6; keeps white noise white.</summary>
    private static void Opponent(RgbImage img, bool forward)
    {
        float a = 1 / MathF.Sqrt(3), b = 1 / MathF.Sqrt(2), c = 1 / MathF.Sqrt(6);
        var m = forward
            ? new Color.Matrix3(a, a, a, b, 0, -b, c, -2 * c, c)
            : new Color.Matrix3(a, b, c, a, 0, -2 * c, a, -b, c);
        MatrixOperator.Apply(img, m);
    }
}
