using System.Numerics;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Adjust;

/// <summary>The "à trous" (with holes) B3-spline smoothing of the starlet wavelet transform (Starck, Murtagh, Fadili,
/// "Sparse Image and Signal Processing", §3.5): a separable [1 4 6 4 1]/16 kernel whose taps are
/// <c>step</c> pixels apart. SIMD across each row, parallel across rows; mirrored borders.</summary>
internal static class ATrous
{
    private const float C0 = 6f / 16, C1 = 4f / 16, C2 = 1f / 16;

    /// <summary>dst = smooth(src) with taps <paramref name="step"/> apart; <paramref name="tmp"/> holds the
    /// horizontal pass. All three arrays have at least width×height elements; dst may not be src.</summary>
    public static void Smooth(float[] src, float[] dst, float[] tmp, int width, int height, int step)
    {
        Parallel.For(0, height, Parallelism.Options, y => Row(src.AsSpan(y * width, width), tmp.AsSpan(y * width, width), step));
        Parallel.For(0, height, Parallelism.Options, y =>
        {
            var o = dst.AsSpan(y * width, width);
            ReadOnlySpan<float> m2 = tmp.AsSpan(Reflect(y - 2 * step, height) * width, width), m1 = tmp.AsSpan(Reflect(y - step, height) * width, width),
                c = tmp.AsSpan(y * width, width), p1 = tmp.AsSpan(Reflect(y + step, height) * width, width), p2 = tmp.AsSpan(Reflect(y + 2 * step, height) * width, width);
            int x = 0, vw = Vector<float>.Count;
            for (; x <= width - vw; x += vw)
                (new Vector<float>(c[x..]) * C0 + (new Vector<float>(m1[x..]) + new Vector<float>(p1[x..])) * C1 +
                 (new Vector<float>(m2[x..]) + new Vector<float>(p2[x..])) * C2).CopyTo(o[x..]);
            for (; x < width; x++) o[x] = c[x] * C0 + (m1[x] + p1[x]) * C1 + (m2[x] + p2[x]) * C2;
        });
    }

    private static void Row(ReadOnlySpan<float> s, Span<float> o, int step)
    {
        int n = s.Length, lo = Math.Min(n, 2 * step), hi = Math.Max(lo, n - 2 * step);
        for (int x = 0; x < lo; x++) o[x] = Tap(s, x, step);
        int i = lo, vw = Vector<float>.Count;
        for (; i <= hi - vw; i += vw)
            (new Vector<float>(s[i..]) * C0 + (new Vector<float>(s[(i - step)..]) + new Vector<float>(s[(i + step)..])) * C1 +
             (new Vector<float>(s[(i - 2 * step)..]) + new Vector<float>(s[(i + 2 * step)..])) * C2).CopyTo(o[i..]);
        for (; i < hi; i++) o[i] = s[i] * C0 + (s[i - step] + s[i + step]) * C1 + (s[i - 2 * step] + s[i + 2 * step]) * C2;
        for (int x = hi; x < n; x++) o[x] = Tap(s, x, step);
    }

    private static float Tap(ReadOnlySpan<float> s, int x, int step)
    {
        int n = s.Length;
        return s[x] * C0 + (s[Reflect(x - step, n)] + s[Reflect(x + step, n)]) * C1 + (s[Reflect(x - 2 * step, n)] + s[Reflect(x + 2 * step, n)]) * C2;
    }

    /// <summary>Mirror an index into [0, n) (whole-sample symmetric, repeated for steps longer than the image).</summary>
    public static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = Math.Abs(i) % period;
        return i >= n ? period - i : i;
    }

    /// <summary>Standard deviation of each wavelet level for unit white noise (level 1 first), from the kernel itself.</summary>
    public static readonly double[] WhiteNoiseLevelSigma = ComputeWhiteNoiseSigmas(6);

    private static double[] ComputeWhiteNoiseSigmas(int levels)
    {
        // 1-D impulse responses of each level's detail filter; 2-D separable energy is the product's sum of squares.
        int size = 4 << levels;
        var result = new double[levels];
        var prev = new double[2 * size + 1];
        prev[size] = 1;
        for (int j = 0; j < levels; j++)
        {
            int step = 1 << j;
            var next = new double[prev.Length];
            for (int x = 0; x < prev.Length; x++)
            {
                double v = 0;
                foreach (var (o, c) in new[] { (0, 6.0 / 16), (-1, 4.0 / 16), (1, 4.0 / 16), (-2, 1.0 / 16), (2, 1.0 / 16) })
                {
                    int k = x + o * step;
                    if (k >= 0 && k < prev.Length) v += c * prev[k];
                }
                next[x] = v;
            }
            // detail_j = c_{j-1} − c_j in 2-D: outer(prev,prev) − outer(next,next)
            double e = 0;
            for (int a = 0; a < prev.Length; a++)
                for (int b = 0; b < prev.Length; b++)
                {
                    double d = prev[a] * prev[b] - next[a] * next[b];
                    e += d * d;
                }
            result[j] = Math.Sqrt(e);
            prev = next;
        }
        return result;
    }
}
