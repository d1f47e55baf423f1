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
        var c = Coefficients(m);
        int n = img.PixelCount, chunks = (n + Chunk - 1) / Chunk;
        float[] rp = img.R, gp = img.G, bp = img.B;
        Parallel.For(0, chunks, Parallelism.Options, k =>
        {
            int start = k * Chunk, end = Math.Min(n, start + Chunk);
            Span<float> r = rp.AsSpan(start, end - start), g = gp.AsSpan(start, end - start), b = bp.AsSpan(start, end - start);
            Apply(c, r, g, b, r, g, b);
        });
    }

    /// <summary>The matrix as the nine floats <see cref="Apply(float[], ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/> takes, row by row.</summary>
    public static float[] Coefficients(Matrix3 m) =>
        [(float)m.M00, (float)m.M01, (float)m.M02, (float)m.M10, (float)m.M11, (float)m.M12, (float)m.M20, (float)m.M21, (float)m.M22];

    /// <summary>(r, g, b) → matrix × (r, g, b) for a run of pixels, from one set of planes into another (or the same:
    /// each pixel is read before it is written). Every caller gets the same float operations in the same order, so a
    /// matrix fused into another pass gives the values this operator would.</summary>
    public static void Apply(float[] m, ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> ro, Span<float> go, Span<float> bo)
    {
        float m00 = m[0], m01 = m[1], m02 = m[2], m10 = m[3], m11 = m[4], m12 = m[5], m20 = m[6], m21 = m[7], m22 = m[8];
        int i = 0, vw = Vector<float>.Count;
        for (; i <= r.Length - vw; i += vw)
        {
            var vr = new Vector<float>(r[i..]); var vg = new Vector<float>(g[i..]); var vb = new Vector<float>(b[i..]);
            (vr * m00 + vg * m01 + vb * m02).CopyTo(ro[i..]);
            (vr * m10 + vg * m11 + vb * m12).CopyTo(go[i..]);
            (vr * m20 + vg * m21 + vb * m22).CopyTo(bo[i..]);
        }
        for (; i < r.Length; i++)
        {
            float x = r[i], y = g[i], z = b[i];
            ro[i] = x * m00 + y * m01 + z * m02;
            go[i] = x * m10 + y * m11 + z * m12;
            bo[i] = x * m20 + y * m21 + z * m22;
        }
    }
}
