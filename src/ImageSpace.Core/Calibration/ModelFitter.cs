using ImageSpace.Core.Color;
using MathNet.Numerics.LinearAlgebra;

namespace ImageSpace.Core.Calibration;

/// <summary>Fits <see cref="CorrectionModel"/>s from measured linear RGB of chart patches to reference XYZ D50.
/// The exposure gain is free: the measured values are first scaled so the unclipped greys match the reference
/// luminance, and every model is homogeneous, so the fit does not depend on exposure.</summary>
public static class ModelFitter
{
    /// <param name="use">Patches to fit on (e.g. all but clipped ones, or 23 of 24 for leave-one-out).</param>
    /// <param name="refine">Then minimise the ΔE2000 from the least-squares solution (<see cref="DeltaEFit"/>; its
    /// mean ΔE2000 on these patches is never worse than the least-squares fit's).</param>
    public static CorrectionModel Fit(ModelKind kind, IReadOnlyList<Vec3> rgb, IReadOnlyList<Vec3> xyz, IReadOnlyList<int> use, bool refine = false)
    {
        double gain = ExposureGain(rgb, xyz, use);
        int n = CorrectionModel.Terms(kind);
        var phi = Matrix<double>.Build.Dense(use.Count, n);
        Span<double> t = stackalloc double[13];
        for (int r = 0; r < use.Count; r++)
        {
            var v = rgb[use[r]];
            CorrectionModel.Expand(kind, v.X * gain, v.Y * gain, v.Z * gain, t);
            for (int c = 0; c < n; c++) phi[r, c] = t[c];
        }
        var coeffs = new double[3][];
        var neutral = kind == ModelKind.NeutralMatrix ? Neutral(rgb, use, gain) : null;
        var svd = neutral is null ? phi.Svd(true) : null;
        for (int ch = 0; ch < 3; ch++)
        {
            var target = Vector<double>.Build.Dense(use.Count, r => xyz[use[r]][ch]);
            coeffs[ch] = neutral is not null
                ? ConstrainedRow(phi, target, neutral, NeutralTarget(xyz, rgb, use, gain)[ch])
                : svd!.Solve(target).ToArray();
        }
        var model = new CorrectionModel(kind, coeffs, gain);
        return refine ? DeltaEFit.Minimise(model, rgb, xyz, use, neutral) : model;
    }

    /// <summary>Reference Y over measured Y of the unclipped greys among patches 20–23 (19 may be clipped, 24 is
    /// noise-dominated).</summary>
    public static double ExposureGain(IReadOnlyList<Vec3> rgb, IReadOnlyList<Vec3> xyz, IReadOnlyList<int> use)
    {
        var greys = new[] { 19, 20, 21, 22 }.Where(use.Contains).ToList();
        if (greys.Count == 0) greys = use.ToList();
        double measured = greys.Sum(p => (WorkingSpace.ToXyzD50 * rgb[p]).Y), reference = greys.Sum(p => xyz[p].Y);
        return measured > 0 ? reference / measured : 1;
    }

    /// <summary>The measured neutral direction: the mean of the unclipped greys (gain applied).</summary>
    private static Vector<double> Neutral(IReadOnlyList<Vec3> rgb, IReadOnlyList<int> use, double gain)
    {
        var greys = new[] { 19, 20, 21, 22 }.Where(use.Contains).ToList();
        var v = Vector<double>.Build.Dense(3);
        foreach (var p in greys) { v[0] += rgb[p].X * gain; v[1] += rgb[p].Y * gain; v[2] += rgb[p].Z * gain; }
        return v / Math.Max(1, greys.Count);
    }

    /// <summary>Where the measured neutral must land: the reference white's chromaticity (D50) at the greys' mean Y.</summary>
    private static Vec3 NeutralTarget(IReadOnlyList<Vec3> xyz, IReadOnlyList<Vec3> rgb, IReadOnlyList<int> use, double gain)
    {
        var greys = new[] { 19, 20, 21, 22 }.Where(use.Contains).ToList();
        double y = greys.Average(p => xyz[p].Y);
        return y * WhitePoints.D50;
    }

    /// <summary>min ‖Φ m − t‖² subject to n·m = c (one linear equality), via the KKT system.</summary>
    private static double[] ConstrainedRow(Matrix<double> phi, Vector<double> target, Vector<double> n, double c)
    {
        int k = phi.ColumnCount;
        var kkt = Matrix<double>.Build.Dense(k + 1, k + 1);
        kkt.SetSubMatrix(0, 0, 2 * phi.TransposeThisAndMultiply(phi));
        for (int i = 0; i < k; i++) { kkt[i, k] = n[i]; kkt[k, i] = n[i]; }
        var rhs = Vector<double>.Build.Dense(k + 1);
        rhs.SetSubVector(0, k, 2 * phi.TransposeThisAndMultiply(target));
        rhs[k] = c;
        return kkt.Solve(rhs).SubVector(0, k).ToArray();
    }
}
