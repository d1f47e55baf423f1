using ImageSpace.Core.Color;
using MathNet.Numerics.LinearAlgebra;

namespace ImageSpace.Core.Calibration;

/// <summary>Refines a fitted <see cref="CorrectionModel"/> to minimise the ΔE2000 over the fitted patches (Σ ΔE^1.25:
/// the mean, large errors weighed up a little, see <see cref="Q"/>).
/// Least squares in XYZ weights bright patches most and ignores how the eye weighs hue against lightness; the error
/// that is reported (and seen) is ΔE2000, so this fits that directly, starting from the least-squares solution.
/// <para>Levenberg–Marquardt on the residuals rᵢ = ΔEᵢ^(q/2), so that Σ rᵢ² is the objective (for q = 1 a
/// Gauss–Newton step on √ΔE is the iteratively-reweighted step of an L1 fit). The Jacobian is cheap and exact in
/// structure: the model is linear in its coefficients, XYZᵢ = C φᵢ, so ∂ΔEᵢ/∂C[ch,k] = ∂ΔEᵢ/∂XYZᵢ[ch] · φᵢ[k]; only
/// the three partials of ΔE2000 with respect to the predicted XYZ are taken numerically (forward differences): 3 ΔE
/// evaluations per patch instead of one per patch per coefficient. A step is kept only if it lowers the objective;
/// the result is returned only if its mean ΔE is not worse than the start's; the loop ends on a step budget instead
/// of throwing (MathNet's Nelder–Mead, used before, threw MaximumIterationsException on 27–39 parameters and stalled
/// when it did not).</para></summary>
public static class DeltaEFit
{
    private const int MaxIterations = 150;
    /// <summary>Stop when an accepted step lowers the objective by less than this fraction (far below the reported
    /// precision of 0.01).</summary>
    private const double Tolerance = 1e-5;
    /// <summary>The power of ΔE that is summed. 1 is the mean itself, but its optimum buys small gains on most patches
    /// with the worst one (L1 fits rest on a few exact patches); 1.25 weighs large errors up a little. Measured on 15
    /// spectral scenes (3 Jiang et al. cameras × D50, D65, A, FL2, FL11, published reference): the mean is within
    /// 0.05 of the mean-optimal 3×3 (e.g. Nikon D3 under A 1.88 vs 1.86) and the max 0.1–0.6 lower (5.42 vs 5.73).</summary>
    private const double Q = 1.25;
    /// <summary>Below this ΔE a patch's residual slope is capped (ΔE^(q/2) has an infinite slope at 0 for q &lt; 2).</summary>
    private const double DeltaEFloor = 0.02;
    /// <summary>Step for the numeric partials of ΔE2000 by XYZ (XYZ has white Y = 1).</summary>
    private const double H = 1e-6;

    /// <param name="neutral">When given (the neutral-preserving matrix), each row may only move orthogonally to
    /// this measured neutral, so the grey keeps landing exactly on the reference white.</param>
    public static CorrectionModel Minimise(CorrectionModel start, IReadOnlyList<Vec3> rgb, IReadOnlyList<Vec3> xyz, IReadOnlyList<int> use,
        Vector<double>? neutral = null)
    {
        int n = CorrectionModel.Terms(start.Kind), m = use.Count;
        var phi = new double[m][];
        var refLab = new Vec3[m];
        for (int r = 0; r < m; r++)
        {
            var v = rgb[use[r]];
            phi[r] = new double[n];
            CorrectionModel.Expand(start.Kind, v.X * start.ExposureGain, v.Y * start.ExposureGain, v.Z * start.ExposureGain, phi[r]);
            refLab[r] = Lab.FromXyz(xyz[use[r]], WhitePoints.D50);
        }
        // Free directions of one row: all n terms, or the n − 1 orthogonal to the neutral (constraint n·row = c).
        var basis = neutral is null
            ? Matrix<double>.Build.DenseIdentity(n)
            : Matrix<double>.Build.DenseOfColumnVectors(Matrix<double>.Build.DenseOfRowVectors(neutral).Kernel());
        int d = basis.ColumnCount, p = 3 * d;
        // Each patch's term vector in the free directions: ψᵢ = Bᵀ φᵢ.
        var psi = new double[m][];
        for (int r = 0; r < m; r++)
        {
            psi[r] = new double[d];
            for (int k = 0; k < d; k++)
                for (int t = 0; t < n; t++) psi[r][k] += basis[t, k] * phi[r][t];
        }

        var coeffs = start.Coefficients.Select(row => (double[])row.Clone()).ToArray();
        var de = new double[m];
        double f = SumDeltaE(coeffs, phi, refLab, de);
        // Plain arrays: this loop runs ~50 times per fit and 25 fits per candidate (leave-one-out).
        var jac = new double[m, p];
        var res = new double[m];
        var jtj = new double[p, p];
        var jtr = new double[p];
        var a = new double[p, p];
        var step = new double[p];
        double lambda = 1e-3;
        var trial = coeffs.Select(row => new double[n]).ToArray();
        var trialDe = new double[m];
        for (int it = 0; it < MaxIterations && lambda < 1e12; it++)
        {
            for (int r = 0; r < m; r++)
            {
                var pred = Predict(coeffs, phi[r]);
                res[r] = Math.Pow(de[r], Q / 2);
                double slope = Q / 2 * Math.Pow(Math.Max(de[r], DeltaEFloor), Q / 2 - 1);
                for (int ch = 0; ch < 3; ch++)
                {
                    double g = (Lab2000(Nudge(pred, ch, H), refLab[r]) - de[r]) / H;
                    for (int k = 0; k < d; k++) jac[r, ch * d + k] = g * slope * psi[r][k];
                }
            }
            for (int i = 0; i < p; i++)
            {
                double sr = 0;
                for (int r = 0; r < m; r++) sr += jac[r, i] * res[r];
                jtr[i] = -sr;
                for (int j = 0; j <= i; j++)
                {
                    double sum = 0;
                    for (int r = 0; r < m; r++) sum += jac[r, i] * jac[r, j];
                    jtj[i, j] = jtj[j, i] = sum;
                }
            }
            bool improved = false;
            while (lambda < 1e12)
            {
                Array.Copy(jtj, a, jtj.Length);
                for (int i = 0; i < p; i++) a[i, i] += lambda * Math.Max(jtj[i, i], 1e-12);
                if (!CholeskySolve(a, jtr, step, p)) { lambda *= 4; continue; }
                for (int ch = 0; ch < 3; ch++)
                    for (int t = 0; t < n; t++)
                    {
                        double delta = 0;
                        for (int k = 0; k < d; k++) delta += basis[t, k] * step[ch * d + k];
                        trial[ch][t] = coeffs[ch][t] + delta;
                    }
                double ft = SumDeltaE(trial, phi, refLab, trialDe);
                if (ft < f)
                {
                    improved = f - ft > Tolerance * f;
                    (coeffs, trial) = (trial, coeffs);
                    (de, trialDe) = (trialDe, de);
                    f = ft;
                    lambda = Math.Max(lambda / 3, 1e-9);
                    break;
                }
                lambda *= 4;
            }
            if (!improved) break;
        }
        // The objective weighs large errors up a little; the promise is on the mean that is reported: never worse.
        double startMean = SumDeltaE(start.Coefficients, phi, refLab, trialDe, 1) / m, mean = SumDeltaE(coeffs, phi, refLab, trialDe, 1) / m;
        return mean <= startMean ? start with { Coefficients = coeffs, Fit = FitObjective.DeltaE2000 } : start;
    }

    private static double SumDeltaE(double[][] c, double[][] phi, Vec3[] refLab, double[] de, double q = Q)
    {
        double sum = 0;
        for (int r = 0; r < phi.Length; r++) sum += Math.Pow(de[r] = Lab2000(Predict(c, phi[r]), refLab[r]), q);
        return double.IsFinite(sum) ? sum : double.PositiveInfinity;
    }

    /// <summary>Solves A x = b for a symmetric positive-definite A (overwritten by its Cholesky factor); false if A is
    /// not numerically positive definite.</summary>
    private static bool CholeskySolve(double[,] a, double[] b, double[] x, int p)
    {
        for (int j = 0; j < p; j++)
        {
            double diag = a[j, j];
            for (int k = 0; k < j; k++) diag -= a[j, k] * a[j, k];
            if (!(diag > 0)) return false;
            a[j, j] = Math.Sqrt(diag);
            for (int i = j + 1; i < p; i++)
            {
                double v = a[i, j];
                for (int k = 0; k < j; k++) v -= a[i, k] * a[j, k];
                a[i, j] = v / a[j, j];
            }
        }
        for (int i = 0; i < p; i++)
        {
            double v = b[i];
            for (int k = 0; k < i; k++) v -= a[i, k] * x[k];
            x[i] = v / a[i, i];
        }
        for (int i = p - 1; i >= 0; i--)
        {
            double v = x[i];
            for (int k = i + 1; k < p; k++) v -= a[k, i] * x[k];
            x[i] = v / a[i, i];
        }
        return true;
    }

    private static Vec3 Predict(double[][] c, double[] phi)
    {
        double x = 0, y = 0, z = 0;
        for (int i = 0; i < phi.Length; i++) { x += c[0][i] * phi[i]; y += c[1][i] * phi[i]; z += c[2][i] * phi[i]; }
        return new(x, y, z);
    }

    private static Vec3 Nudge(Vec3 v, int ch, double h) => ch switch { 0 => v with { X = v.X + h }, 1 => v with { Y = v.Y + h }, _ => v with { Z = v.Z + h } };

    private static double Lab2000(Vec3 xyz, Vec3 refLab) => DeltaE.Ciede2000(Lab.FromXyz(xyz, WhitePoints.D50), refLab);
}
