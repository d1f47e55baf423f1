using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>How close a demosaiced image is to the full-colour truth it was mosaiced from: PSNR on sRGB-encoded values
/// and the share of pixels with a visible error. The decoded image is first mapped onto the truth by the least-squares
/// 3×3 matrix, so decoders that differ only in white balance or colour matrix (LibRaw, RawTherapee, ours in any output
/// space) are compared on their interpolation alone.</summary>
public static class DemosaicScore
{
    /// <summary>An error above this (in encoded 0..1 units, any channel) counts as a visible artefact.</summary>
    public const double ArtefactThreshold = 0.05;

    public sealed record Result(double PsnrDb, double ArtefactShare);

    /// <param name="border">Pixels left out at each edge of the truth (some tools leave a few edge pixels
    /// uninterpolated or crop them).</param>
    public static Result Compare(RgbImage truth, RgbImage decoded, int border = 4)
    {
        // A decoder that crops its output (RawTherapee drops 4 pixels each side) is compared on the centred region.
        int dx = truth.Width - decoded.Width, dy = truth.Height - decoded.Height;
        if (dx < 0 || dy < 0 || dx % 2 != 0 || dy % 2 != 0 || dx != dy || dx / 2 > border)
            throw new ArgumentException($"size {decoded.Width}x{decoded.Height} does not match the truth's {truth.Width}x{truth.Height}");
        if (dx > 0) truth = Crop(truth, dx / 2);
        border -= dx / 2;
        int w = truth.Width, h = truth.Height;
        var m = FitMatrix(truth, decoded, border);
        double se = 0;
        long n = 0, bad = 0;
        for (int y = border; y < h - border; y++)
            for (int x = border; x < w - border; x++)
            {
                int i = y * w + x;
                double r = decoded.R[i], g = decoded.G[i], b = decoded.B[i];
                double worst = 0;
                for (int c = 0; c < 3; c++)
                {
                    double mapped = m[c, 0] * r + m[c, 1] * g + m[c, 2] * b;
                    double e = Encode(mapped) - Encode(truth.Plane(c)[i]);
                    se += e * e;
                    worst = Math.Max(worst, Math.Abs(e));
                }
                if (worst > ArtefactThreshold) bad++;
                n++;
            }
        double mse = se / (3.0 * n);
        return new Result(10 * Math.Log10(1 / Math.Max(mse, 1e-20)), bad / (double)n);
    }

    private static RgbImage Crop(RgbImage src, int k)
    {
        int w = src.Width - 2 * k, h = src.Height - 2 * k;
        var r = new float[w * h]; var g = new float[w * h]; var b = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            src.R.AsSpan((y + k) * src.Width + k, w).CopyTo(r.AsSpan(y * w));
            src.G.AsSpan((y + k) * src.Width + k, w).CopyTo(g.AsSpan(y * w));
            src.B.AsSpan((y + k) * src.Width + k, w).CopyTo(b.AsSpan(y * w));
        }
        return new RgbImage(w, h, r, g, b);
    }

    private static double Encode(double v) => TransferFunction.Srgb.Encode(Math.Clamp(v, 0, 1));

    /// <summary>Least-squares M with truth ≈ M · decoded (normal equations, 3×3).</summary>
    private static double[,] FitMatrix(RgbImage truth, RgbImage decoded, int border)
    {
        var ata = new double[3, 3];
        var atb = new double[3, 3];
        int w = truth.Width;
        for (int y = border; y < truth.Height - border; y++)
            for (int x = border; x < w - border; x++)
            {
                int i = y * w + x;
                double[] a = [decoded.R[i], decoded.G[i], decoded.B[i]];
                double[] t = [truth.R[i], truth.G[i], truth.B[i]];
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 3; k++)
                    {
                        ata[j, k] += a[j] * a[k];
                        atb[j, k] += a[j] * t[k];
                    }
            }
        var inv = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(ata).Inverse();
        var sol = inv * MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(atb); // column c: weights for truth channel c
        var m = new double[3, 3];
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 3; j++) m[c, j] = sol[j, c];
        return m;
    }
}
