namespace ImageSpace.Core.Calibration;

public enum FitGrade { Good, Check, Poor }

/// <summary>How far a chart fit can be trusted, in words a person acts on. ΔE2000 ≈ 1 is a just-noticeable
/// difference; a good chart shot gives a mean of 1–2 (see the README's table), a misplaced grid or a chart that is not
/// a ColorChecker gives 10–25. Grades use the mean, the worst patch and leave-one-out (a fit that only holds on the
/// patches it saw is not good):
/// good: mean ≤ 2, leave-one-out mean ≤ 3 and max ≤ 8; check: mean ≤ 4, leave-one-out mean ≤ 5 and max ≤ 15; else poor.
/// A poor fit is not assigned to a group unless the user confirms (the UI asks).</summary>
public sealed record FitQuality(FitGrade Grade, string Words)
{
    public static FitQuality Of(CalibrationProfile.Summary d)
    {
        if (d.Mean <= 2 && d.LooMean <= 3 && d.Max <= 8)
            return new(FitGrade.Good, $"good fit: mean ΔE2000 {d.Mean:0.00}, worst patch {d.Max:0.00}, leave-one-out {d.LooMean:0.00}");
        if (d.Mean <= 4 && d.LooMean <= 5 && d.Max <= 15)
            return new(FitGrade.Check, $"check it: mean ΔE2000 {d.Mean:0.00}, worst patch {d.Max:0.00}, leave-one-out {d.LooMean:0.00} " +
                                       "(uneven light, glare on a patch, or a chart of another make?)");
        return new(FitGrade.Poor, $"poor fit: mean ΔE2000 {d.Mean:0.00}, worst patch {d.Max:0.00}, leave-one-out {d.LooMean:0.00}; " +
                                  "the grid is probably misplaced or this is not a ColorChecker 24");
    }
}
