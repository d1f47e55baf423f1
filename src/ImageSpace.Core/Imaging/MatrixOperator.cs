using System.Numerics;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Imaging;

/// <summary>Applies a 3×3 matrix to every pixel, in place, SIMD across each plane and parallel across chunks.</summary>
public static class MatrixOperator
{
    private const int Chunk = 1 << 16;

    public static void Apply(RgbImage img, Matrix3 m)
    {
        if (m == Matrix3.Identity) return;
        float m00 = (float)m.M00, m01 = (float)m.M01, m02 = (float)m.M02;
        float m10 = (float)m.M10, m11 = (float)m.M11, m12 = (float)m.M12;
        float m20 = (float)m.M20, m21 = (float)m.M21, m22 = (float)m.M22;
        int n = img.PixelCount, chunks = (n + Chunk - 1) / Chunk;
        float[] rp = img.R, gp = img.G, bp = img.B;
        Parallel.For(0, chunks, Parallelism.Options, k =>
        {
            int start = k * Chunk, end = Math.Min(n, start + Chunk);
            Span<float> r = rp.AsSpan(start, end - start), g = gp.AsSpan(start, end - start), b = bp.AsSpan(start, end - start);
            int i = 0, vw = Vector<float>.Count;
            for (; i <= r.Length - vw; i += vw)
            {
                var vr = new Vector<float>(r[i..]); var vg = new Vector<float>(g[i..]); var vb = new Vector<float>(b[i..]);
                (vr * m00 + vg * m01 + vb * m02).CopyTo(r[i..]);
                (vr * m10 + vg * m11 + vb * m12).CopyTo(g[i..]);
                (vr * m20 + vg * m21 + vb * m22).CopyTo(b[i..]);
            }
            for (; i < r.Length; i++)
            {
                float x = r[i], y = g[i], z = b[i];
                r[i] = x * m00 + y * m01 + z * m02;
                g[i] = x * m10 + y * m11 + z * m12;
                b[i] = x * m20 + y * m21 + z * m22;
            }
        });
    }
}
