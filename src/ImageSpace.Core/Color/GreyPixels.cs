namespace ImageSpace.Core.Color;

/// <summary>Finds the neutral of a picture from its (nearly) grey pixels rather than from its average: starting
/// from an estimate, keep the samples whose log colour lies within a shrinking tolerance of it (on both the R−G and
/// B−G axes) and take their medians (cf. Huo et al., "Robust automatic white balance algorithm using gray color
/// points in images", IEEE TCE 2006). A picture dominated by one colour keeps its colour; its greys decide.
/// Used for automatic white balance and for a negative's automatic grey.</summary>
public static class GreyPixels
{
    private static readonly double[] DefaultTolerances = [0.25, 0.12, 0.06, 0.04];

    /// <param name="logSamples">Per-channel logarithms (any base, natural or 10) of the candidate pixels.</param>
    /// <param name="start">Initial estimate, same units.</param>
    /// <param name="keep">Extra condition on a sample relative to the current estimate (e.g. mid-tones only).</param>
    public static double[] Refine(IReadOnlyList<(double r, double g, double b)> logSamples, double[] start,
        Func<(double r, double g, double b), double[], bool>? keep = null, int minimum = 50, double[]? tolerances = null)
    {
        var e = start;
        foreach (double tol in tolerances ?? DefaultTolerances)
        {
            var neutral = logSamples.Where(s =>
            {
                double a = s.r - e[0], g = s.g - e[1], b = s.b - e[2];
                return Math.Abs(a - g) < tol && Math.Abs(b - g) < tol && (keep?.Invoke(s, e) ?? true);
            }).ToList();
            if (neutral.Count < minimum) break;
            e = [Statistics.Median(neutral.Select(s => s.r)), Statistics.Median(neutral.Select(s => s.g)), Statistics.Median(neutral.Select(s => s.b))];
        }
        return e;
    }
}
