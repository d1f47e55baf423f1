using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>Accuracy of one model on the chart.</summary>
public sealed record ModelEvaluation(ModelKind Kind, double[] DeltaE, double[] LooDeltaE)
{
    public double Mean => DeltaE.Where(d => !double.IsNaN(d)).Average();
    public double Max => DeltaE.Where(d => !double.IsNaN(d)).Max();
    public double LooMean => LooDeltaE.Where(d => !double.IsNaN(d)).Average();
    public double LooMax => LooDeltaE.Where(d => !double.IsNaN(d)).Max();
}

public sealed record CalibrationResult(CorrectionModel Model, ModelEvaluation Evaluation, IReadOnlyList<ModelEvaluation> Candidates,
    string Reason, IReadOnlyList<int> UsedPatches, IReadOnlyList<string> Warnings);

/// <summary>Fits the candidate models on the measured patches, evaluates each in-sample and leave-one-out (fit on
/// 23, test the 24th, for every patch), and chooses: a root-polynomial only if its leave-one-out mean is at least
/// 0.15 ΔE2000 lower and its leave-one-out max not more than 0.5 worse than the 3×3's (issue #5's rule; the extra
/// terms must earn their place on patches they were not fitted to).</summary>
public static class Calibrator
{
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

        var kinds = forced is { } f ? new[] { f } : new[] { ModelKind.Matrix, ModelKind.NeutralMatrix, ModelKind.RootPolynomial2, ModelKind.RootPolynomial3 };
        var evals = kinds.Select(k => Evaluate(k, rgb, referenceXyzD50, use, refine)).ToList();
        ModelEvaluation chosen;
        string reason;
        if (forced is not null) { chosen = evals[0]; reason = $"{chosen.Kind} chosen by the user"; }
        else
        {
            var matrix = evals.First(e => e.Kind == ModelKind.Matrix);
            var rp = evals.Where(e => e.Kind is ModelKind.RootPolynomial2 or ModelKind.RootPolynomial3).MinBy(e => e.LooMean)!;
            if (rp.LooMean <= matrix.LooMean - 0.15 && rp.LooMax <= matrix.LooMax + 0.5)
            {
                chosen = rp;
                reason = $"{rp.Kind}: leave-one-out mean {rp.LooMean:0.00} vs 3×3 {matrix.LooMean:0.00} (≥ 0.15 lower), max {rp.LooMax:0.00} vs {matrix.LooMax:0.00} (not > 0.5 worse)";
            }
            else
            {
                chosen = matrix;
                reason = $"3×3 matrix: the best root-polynomial ({rp.Kind}) has leave-one-out mean {rp.LooMean:0.00} vs {matrix.LooMean:0.00} and max {rp.LooMax:0.00} vs {matrix.LooMax:0.00}, not better enough to trust more terms";
            }
        }
        var model = ModelFitter.Fit(chosen.Kind, rgb, referenceXyzD50, use, refine);
        if (chosen.Mean > 3) warnings.Add($"poor fit: mean ΔE2000 {chosen.Mean:0.00} (wrong reference, mixed light, or a replica chart?)");
        return new CalibrationResult(model, chosen, evals, reason, use, warnings);
    }

    private static ModelEvaluation Evaluate(ModelKind kind, Vec3[] rgb, IReadOnlyList<Vec3> xyz, List<int> use, bool refine)
    {
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
        return new ModelEvaluation(kind, de, loo);
    }
}
