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
/// 23, test the 24th, for every patch), and chooses by leave-one-out — the error on patches a fit has not seen — in
/// two steps:
/// <list type="number">
/// <item>the model (issue #5's rule, on the least-squares fits): a root-polynomial only if its leave-one-out mean is
/// at least 0.15 ΔE2000 lower and its leave-one-out max not more than 0.5 worse than the 3×3's (the extra terms must
/// earn their place on patches they were not fitted to), else the 3×3;</item>
/// <item>the fit of that model: the ΔE2000-optimised one (<see cref="DeltaEFit"/>: it minimises the error that is
/// reported), unless leave-one-out says it generalises worse than least squares: its per-patch leave-one-out errors
/// higher by more than one standard error of their paired difference (the "one-standard-error rule" of model
/// selection: Breiman et al. 1984, <i>Classification and Regression Trees</i>; Hastie, Tibshirani &amp; Friedman,
/// <i>The Elements of Statistical Learning</i>, §7.10). On 24 patches two fits' leave-one-out means differ by
/// ±0.05–0.2 by chance, so a smaller difference is no evidence either way.</item>
/// </list>
/// The neutral-preserving matrix is evaluated and reported but only used when asked for. A ΔE-optimised degree-3
/// root-polynomial is not a candidate (the least-squares one has never passed step 1 on our scenes: 13 terms per
/// channel on 24 patches). With <c>refine</c> the ΔE-optimised fits are taken without step 2.</summary>
public static class Calibrator
{
    private static readonly (ModelKind, FitObjective)[] AutoCandidates =
    [
        (ModelKind.Matrix, FitObjective.LeastSquares), (ModelKind.NeutralMatrix, FitObjective.LeastSquares),
        (ModelKind.RootPolynomial2, FitObjective.LeastSquares), (ModelKind.RootPolynomial3, FitObjective.LeastSquares),
        (ModelKind.Matrix, FitObjective.DeltaE2000), (ModelKind.RootPolynomial2, FitObjective.DeltaE2000),
    ];
    /// <summary>With refine, the ΔE-optimised fits of the same models (step 1 compares these instead).</summary>
    private static readonly (ModelKind, FitObjective)[] RefineCandidates =
    [
        (ModelKind.Matrix, FitObjective.DeltaE2000), (ModelKind.RootPolynomial2, FitObjective.DeltaE2000),
        (ModelKind.RootPolynomial3, FitObjective.DeltaE2000),
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
            : refine ? RefineCandidates : AutoCandidates;
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
        // Step 1: the model, compared on least-squares fits (on ΔE-optimised ones with refine: then there are no others).
        var step1 = evals.Any(e => e.Fit == FitObjective.LeastSquares) ? FitObjective.LeastSquares : FitObjective.DeltaE2000;
        var matrix = evals.First(e => e.Kind == ModelKind.Matrix && e.Fit == step1);
        var rp = evals.Where(e => e.Kind is ModelKind.RootPolynomial2 or ModelKind.RootPolynomial3 && e.Fit == step1).MinBy(e => e.LooMean)!;
        string why;
        ModelEvaluation model;
        if (rp.LooMean <= matrix.LooMean - 0.15 && rp.LooMax <= matrix.LooMax + 0.5)
        {
            model = rp;
            why = $"{rp.Kind}: leave-one-out mean {rp.LooMean:0.00} vs 3×3 {matrix.LooMean:0.00} (≥ 0.15 lower), max {rp.LooMax:0.00} vs {matrix.LooMax:0.00} (not > 0.5 worse)";
        }
        else
        {
            model = matrix;
            why = $"3×3 matrix: the best root-polynomial ({rp.Kind}) has leave-one-out mean {rp.LooMean:0.00} vs {matrix.LooMean:0.00} and max {rp.LooMax:0.00} vs {matrix.LooMax:0.00}, not better enough to trust more terms";
        }
        // Step 2: the fit of that model.
        var de = evals.FirstOrDefault(e => e.Kind == model.Kind && e.Fit == FitObjective.DeltaE2000);
        if (de is null || de == model) return (model, why + (de is null ? "" : "; ΔE2000-optimised"));
        var (diff, se) = PairedDifference(de.LooDeltaE, model.LooDeltaE);
        return diff <= se
            ? (de, why + $"; ΔE2000-optimised: leave-one-out mean {de.LooMean:0.00} vs {model.LooMean:0.00} for least squares ({diff:+0.00;-0.00} ± {se:0.00}, not worse)")
            : (model, why + $"; least squares: the ΔE2000-optimised fit generalises worse (leave-one-out mean {de.LooMean:0.00} vs {model.LooMean:0.00}, {diff:+0.00;-0.00} is more than its standard error {se:0.00})");
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
