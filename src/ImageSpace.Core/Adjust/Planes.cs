using System.Numerics;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Adjust;

/// <summary>Per-plane helpers shared by the adjustment operators: luminance, wrapping a plane as an OpenCV matrix
/// (no copy), and scaling RGB by a per-pixel factor.</summary>
internal static class Planes
{
    /// <summary>Luminance weights of the working space (the Y row of its RGB → XYZ matrix).</summary>
    public static readonly float Kr = (float)WorkingSpace.Space.ToXyz.M10, Kg = (float)WorkingSpace.Space.ToXyz.M11, Kb = (float)WorkingSpace.Space.ToXyz.M12;

    private const int Chunk = 1 << 16;

    /// <summary>Runs <paramref name="body"/>(start, length) over [0, n) in parallel chunks.</summary>
    public static void ForChunks(int n, Action<int, int> body) =>
        Parallel.For(0, (n + Chunk - 1) / Chunk, Parallelism.Options, k =>
        {
            int start = k * Chunk;
            body(start, Math.Min(n, start + Chunk) - start);
        });

    public static float[] Luminance(RgbImage img)
    {
        var y = LargeArrayPool<float>.Rent(img.PixelCount);
        ForChunks(img.PixelCount, (s, n) =>
        {
            Span<float> r = img.R.AsSpan(s, n), g = img.G.AsSpan(s, n), b = img.B.AsSpan(s, n), o = y.AsSpan(s, n);
            int i = 0, vw = Vector<float>.Count;
            for (; i <= n - vw; i += vw)
                (new Vector<float>(r[i..]) * Kr + new Vector<float>(g[i..]) * Kg + new Vector<float>(b[i..]) * Kb).CopyTo(o[i..]);
            for (; i < n; i++) o[i] = r[i] * Kr + g[i] * Kg + b[i] * Kb;
        });
        return y;
    }

    /// <summary>RGB ×= factor, per pixel.</summary>
    public static void Scale(RgbImage img, float[] factor)
    {
        ForChunks(img.PixelCount, (s, n) =>
        {
            Span<float> r = img.R.AsSpan(s, n), g = img.G.AsSpan(s, n), b = img.B.AsSpan(s, n), f = factor.AsSpan(s, n);
            int i = 0, vw = Vector<float>.Count;
            for (; i <= n - vw; i += vw)
            {
                var k = new Vector<float>(f[i..]);
                (new Vector<float>(r[i..]) * k).CopyTo(r[i..]);
                (new Vector<float>(g[i..]) * k).CopyTo(g[i..]);
                (new Vector<float>(b[i..]) * k).CopyTo(b[i..]);
            }
            for (; i < n; i++) { r[i] *= f[i]; g[i] *= f[i]; b[i] *= f[i]; }
        });
    }

    /// <summary>The first width×height floats of <paramref name="plane"/> as a CV_32F matrix sharing its memory
    /// (pinned while the matrix lives).</summary>
    public static Mat Wrap(float[] plane, int width, int height) => Mat.FromPixelData(height, width, MatType.CV_32FC1, plane);
}
