using ImageSpace.Core.Color;

namespace ImageSpace.Core.Imaging;

/// <summary>A planar projective transform (3×3, h22 = 1), solved from four point correspondences.</summary>
public sealed class Homography
{
    private readonly Matrix3 _h;
    public Homography(Matrix3 h) => _h = h;
    public Matrix3 Matrix => _h;

    public (double x, double y) Map(double x, double y)
    {
        double w = _h.M20 * x + _h.M21 * y + _h.M22;
        return ((_h.M00 * x + _h.M01 * y + _h.M02) / w, (_h.M10 * x + _h.M11 * y + _h.M12) / w);
    }

    public Homography Inverse() => new(_h.Inverse());

    /// <summary>The homography taking each <paramref name="src"/> point to the matching <paramref name="dst"/> point.</summary>
    public static Homography FromPoints(IReadOnlyList<(double x, double y)> src, IReadOnlyList<(double x, double y)> dst)
    {
        if (src.Count != 4 || dst.Count != 4) throw new ArgumentException("need exactly four point pairs");
        var a = new double[8, 8];
        var b = new double[8];
        for (int i = 0; i < 4; i++)
        {
            var (x, y) = src[i];
            var (u, v) = dst[i];
            double[] r1 = [x, y, 1, 0, 0, 0, -u * x, -u * y];
            double[] r2 = [0, 0, 0, x, y, 1, -v * x, -v * y];
            for (int k = 0; k < 8; k++) { a[2 * i, k] = r1[k]; a[2 * i + 1, k] = r2[k]; }
            b[2 * i] = u; b[2 * i + 1] = v;
        }
        var h = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(a)
            .Solve(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(b));
        return new Homography(new Matrix3(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1));
    }
}
