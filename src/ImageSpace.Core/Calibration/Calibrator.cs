using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>Accuracy of one model on the chart.</summary>
public sealed record ModelEvaluation(ModelKind Kind, double[] DeltaE, double[] LooDeltaE, FitObjective Fit = FitObjective.LeastSquares)
{
    public double Mean => DeltaE.Where(d => !double.IsNaN(d)).Average();
    public double Max => DeltaE.Where(d => !double.IsNaN(d)).Max();
    public double LooMean => LooDeltaE.Where(d => !double.IsNaN(d)).Average();
    public double LooMax => LooDeltaE.Where(d => !double.IsNaN(d)).Max();
    /// <summary>E.g. "Matrix" or "RootPolynomial2 (ΔE-optimised)".</summary>
    public string Name => Fit == FitObjective.DeltaE2000 ? $"{Kind} (ΔE-optimised)" : Kind.ToString();
}

public sealed record CalibrationResult(CorrectionModel Model, ModelEvaluation Evaluation, IReadOnlyList<ModelEvaluation> Candidates,
    string Reason, IReadOnlyList<int> UsedPatches, IReadOnlyList<string> Warnings);

/// <summary>Fits the candidate models on the measured patches, evaluates each in-sample and leave-one-out (fit on
/// 23, test the 24th, for every patch), and chooses by leave-one-out — the error on patches a fit has not seen:
/// <list type="number">
/// <item>the 3×3: the ΔE2000-optimised one (<see cref="DeltaEFit"/>: it minimises the error that is reported), unless
/// leave-one-out says it generalises worse than the least-squares one: its per-patch leave-one-out errors higher by
/// more than one standard error of their paired difference (the "one-standard-error rule" of model selection:
/// Breiman et al. 1984, <i>Classification and Regression Trees</i>; Hastie, Tibshirani &amp; Friedman,
/// <i>The Elements of Statistical Learning</i>, §7.10). On 24 patches two fits' leave-one-out means differ by
/// ±0.05–0.2 by chance, so a smaller difference is no evidence either way;</item>
/// <item>a root-polynomial (least-squares or ΔE-optimised, the lowest leave-one-out mean) instead, only if its
/// leave-one-out mean is at least 0.15 ΔE2000 lower and its max not more than 0.5 worse than that 3×3's (issue #5's
/// rule: the extra terms must earn their place on patches they were not fitted to).</item>
/// </list>
/// The neutral-preserving matrix is evaluated and reported but only used when asked for; a ΔE-optimised degree-3
/// root-polynomial (39 coefficients on 24 patches) is not a candidate: its leave-one-out error is 2–3× the 3×3's on
/// every scene we tried. With <c>refine</c> only ΔE-optimised fits are considered.</summary>
public static class Calibrator
{
    private static readonly (ModelKind, FitObjective)[] AutoCandidates =
    [
        (ModelKind.Matrix, FitObjective.LeastSquares), (ModelKind.NeutralMatrix, FitObjective.LeastSquares),
        (ModelKind.RootPolynomial2, FitObjective.LeastSquares), (ModelKind.RootPolynomial3, FitObjective.LeastSquares),
        (ModelKind.Matrix, FitObjective.DeltaE2000), (ModelKind.RootPolynomial2, FitObjective.DeltaE2000),
    ];

    public static CalibrationResult Calibrate(IReadOnlyList<PatchSample> patches, IReadOnlyList<Vec3> referenceXyzD50,
        ModelKind? forced = null, bool refine = false)
    {
        var rgb = patches.Select(p => p.Rgb).ToArray();
        var warnings = new List<string>();
        // Clipped patches carry no colour information: leave them out of the fit (and say so).
        var use = Enumerable.Range(0, rgb.Length).Where(i => !patches[i].Clipped).ToList();
        var clipped = Enumerable.Range(0, rgb.Length).Where(i => patches[i].Clipped).Select(i => i + 1).ToList();
        if (clipped.Count > 0) warnings.Add($"clipped patches left out of the fit: {string.Join(", ", clipped)}");
        if (use.Count < 12) throw new ArgumentException($"only {use.Count} unclipped patches: too few to calibrate (the chart is overexposed)");

        var candidates = forced is { } f ? [(f, refine ? FitObjective.DeltaE2000 : FitObjective.LeastSquares)]
            : AutoCandidates.Where(c => !refine || c.Item2 == FitObjective.DeltaE2000).ToArray();
        var fitted = candidates.Select(c => Evaluate(c.Item1, c.Item2, rgb, referenceXyzD50, use)).ToArray();
        var evals = fitted.Select(x => x.Item2).ToList();
        ModelEvaluation chosen;
        string reason;
        if (forced is not null) { chosen = evals[0]; reason = $"{chosen.Name} chosen by the user"; }
        else (chosen, reason) = Choose(evals);
        var model = fitted[evals.IndexOf(chosen)].Item1;
        if (chosen.Mean > 3) warnings.Add($"poor fit: mean ΔE2000 {chosen.Mean:0.00} (wrong reference, mixed light, or a replica chart?)");
        return new CalibrationResult(model, chosen, evals, reason, use, warnings);
    }

    private static (ModelEvaluation, string) Choose(List<ModelEvaluation> evals)
    {
        var ls = evals.FirstOrDefault(e => e is { Kind: ModelKind.Matrix, Fit: FitObjective.LeastSquares });
        var de = evals.FirstOrDefault(e => e is { Kind: ModelKind.Matrix, Fit: FitObjective.DeltaE2000 });
        ModelEvaluation matrix;
        string why = "";
        if (ls is null) matrix = de!;
        else if (de is null) matrix = ls;
        else
        {
            var (diff, se) = PairedDifference(de.LooDeltaE, ls.LooDeltaE);
            matrix = diff <= se ? de : ls;
            why = diff <= se
                ? $"; the ΔE-optimised 3×3 generalises as well as least squares (leave-one-out mean {de.LooMean:0.00} vs {ls.LooMean:0.00}: {diff:+0.00;-0.00} ± {se:0.00})"
                : $"; the ΔE-optimised 3×3 generalises worse than least squares (leave-one-out mean {de.LooMean:0.00} vs {ls.LooMean:0.00}: {diff:+0.00;-0.00}, more than its standard error {se:0.00})";
        }
        var rp = evals.Where(e => e.Kind is ModelKind.RootPolynomial2 or ModelKind.RootPolynomial3).MinBy(e => e.LooMean);
        if (rp is null) return (matrix, $"{matrix.Name}: the only 3×3 candidate{why}");
        if (rp.LooMean <= matrix.LooMean - 0.15 && rp.LooMax <= matrix.LooMax + 0.5)
            return (rp, $"{rp.Name}: leave-one-out mean {rp.LooMean:0.00} vs 3×3 {matrix.LooMean:0.00} (≥ 0.15 lower), max {rp.LooMax:0.00} vs {matrix.LooMax:0.00} (not > 0.5 worse){why}");
        return (matrix, $"{matrix.Name}: the best root-polynomial ({rp.Name}) has leave-one-out mean {rp.LooMean:0.00} vs {matrix.LooMean:0.00} and max {rp.LooMax:0.00} vs {matrix.LooMax:0.00}, not better enough to trust more terms{why}");
    }

    /// <summary>Mean of a − b over the patches both have, and the standard error of that mean.</summary>
    private static (double Mean, double StandardError) PairedDifference(double[] a, double[] b)
    {
        var d = a.Zip(b, (x, y) => x - y).Where(double.IsFinite).ToArray();
        double mean = d.Average();
        double variance = d.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, d.Length - 1);
        return (mean, Math.Sqrt(variance / d.Length));
    }

    private static (CorrectionModel, ModelEvaluation) Evaluate(ModelKind kind, FitObjective fit, Vec3[] rgb, IReadOnlyList<Vec3> xyz, List<int> use)
    {
        bool refine = fit == FitObjective.DeltaE2000;
        var model = ModelFitter.Fit(kind, rgb, xyz, use, refine);
        var de = new double[rgb.Length];
        var loo = new double[rgb.Length];
        for (int p = 0; p < rgb.Length; p++)
        {
            de[p] = use.Contains(p) ? DeltaE.Ciede2000Xyz(model.ToXyzD50(rgb[p]), xyz[p], WhitePoints.D50) : double.NaN;
            if (!use.Contains(p)) { loo[p] = double.NaN; continue; }
            var m = ModelFitter.Fit(kind, rgb, xyz, use.Where(i => i != p).ToList(), refine);
            loo[p] = DeltaE.Ciede2000Xyz(m.ToXyzD50(rgb[p]), xyz[p], WhitePoints.D50);
        }
        return (model, new ModelEvaluation(kind, de, loo, fit));
    }
}
