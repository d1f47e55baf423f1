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
/// The neutral-preserving matrix is evaluated and reported but only used when asked for. Only the model step 1 picks
/// gets a ΔE-optimised fit (25 Levenberg–Marquardt runs with leave-one-out; the least-squares fits are closed-form),
/// so a calibration costs about 0.1 s of CPU. With <c>refine</c> the ΔE-optimised fit is taken without step 2; with a
/// forced model, that model's least-squares fit (or, with <c>refine</c>, its ΔE-optimised one).</summary>
public static class Calibrator
{
    private static readonly ModelKind[] AutoModels = [ModelKind.Matrix, ModelKind.NeutralMatrix, ModelKind.RootPolynomial2, ModelKind.RootPolynomial3];

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

        var fitted = new List<(CorrectionModel Model, ModelEvaluation Eval)>();
        (CorrectionModel Model, ModelEvaluation Eval) chosen;
        string reason;
        if (forced is { } f)
        {
            chosen = Evaluate(f, refine ? FitObjective.DeltaE2000 : FitObjective.LeastSquares, rgb, referenceXyzD50, use);
            fitted.Add(chosen);
            reason = $"{chosen.Eval.Name} chosen by the user";
        }
        else
        {
            fitted.AddRange(AutoModels.Select(k => Evaluate(k, FitObjective.LeastSquares, rgb, referenceXyzD50, use)));
            var (ls, why) = ChooseModel(fitted.Select(x => x.Eval).ToList());
            var leastSquares = fitted.First(x => x.Eval == ls);
            var de = Evaluate(ls.Kind, FitObjective.DeltaE2000, rgb, referenceXyzD50, use);
            fitted.Add(de);
            var (diff, se) = PairedDifference(de.Eval.LooDeltaE, ls.LooDeltaE);
            if (refine) (chosen, reason) = (de, why + "; ΔE2000-optimised (--refine)");
            else if (diff <= se)
                (chosen, reason) = (de, why + $"; ΔE2000-optimised: leave-one-out mean {de.Eval.LooMean:0.00} vs {ls.LooMean:0.00} for least squares ({diff:+0.00;-0.00} ± {se:0.00}, not worse)");
            else
                (chosen, reason) = (leastSquares, why + $"; least squares: the ΔE2000-optimised fit generalises worse (leave-one-out mean {de.Eval.LooMean:0.00} vs {ls.LooMean:0.00}, {diff:+0.00;-0.00} is more than its standard error {se:0.00})");
        }
        if (chosen.Eval.Mean > 3) warnings.Add($"poor fit: mean ΔE2000 {chosen.Eval.Mean:0.00} (wrong reference, mixed light, or a replica chart?)");
        return new CalibrationResult(chosen.Model, chosen.Eval, fitted.Select(x => x.Eval).ToList(), reason, use, warnings);
    }

    /// <summary>Step 1 (issue #5's rule) on the least-squares fits.</summary>
    private static (ModelEvaluation, string) ChooseModel(List<ModelEvaluation> evals)
    {
        var matrix = evals.First(e => e.Kind == ModelKind.Matrix);
        var rp = evals.Where(e => e.Kind is ModelKind.RootPolynomial2 or ModelKind.RootPolynomial3).MinBy(e => e.LooMean)!;
        if (rp.LooMean <= matrix.LooMean - 0.15 && rp.LooMax <= matrix.LooMax + 0.5)
            return (rp, $"{rp.Kind}: leave-one-out mean {rp.LooMean:0.00} vs 3×3 {matrix.LooMean:0.00} (≥ 0.15 lower), max {rp.LooMax:0.00} vs {matrix.LooMax:0.00} (not > 0.5 worse)");
        return (matrix, $"3×3 matrix: the best root-polynomial ({rp.Kind}) has leave-one-out mean {rp.LooMean:0.00} vs {matrix.LooMean:0.00} and max {rp.LooMax:0.00} vs {matrix.LooMax:0.00}, not better enough to trust more terms");
    }

    /// <summary>Mean of a − b over the patches both have, and the standard error of that mean.</summary>
    private static (double Mean, double StandardError) PairedDifference(double[] a, double[] b)
    {
        var d = a.Zip(b, (x, y) => x - y).Where(double.IsFinite).ToArray();
        double mean = d.Average();
        double variance = d.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, d.Length - 1);
        return (mean, Math.Sqrt(variance / d.Length));
    }

    private static (CorrectionModel Model, ModelEvaluation Eval) Evaluate(ModelKind kind, FitObjective fit, Vec3[] rgb, IReadOnlyList<Vec3> xyz, List<int> use)
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
