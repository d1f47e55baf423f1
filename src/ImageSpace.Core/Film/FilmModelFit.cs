using ImageSpace.Core.Calibration;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Film;

/// <summary>The film/camera model of shared/docs/film-negative-anchors.md §6.1 fitted, jointly and with few parameters,
/// to a chart frame's measured patches (camera RGB on the negative): the rig's crosstalk as a pre-log 3×3 C with rows
/// summing to 1 (6 numbers; the pixels are unmixed by C⁻¹ before the log), the layers' slopes γ (3), the toe sharpness
/// k of the characteristic curve (1), the grey reference, and a post-inversion 3×3 M to XYZ D50 (9, solved by least
/// squares for every trial of the others, "variable projection"). The non-linear part minimises the mean squared
/// ΔE2000 of the patches (Nelder–Mead). Nested variants (no crosstalk, no toe) are fitted too; the model is chosen
/// by leave-one-out and must pass a smoothness check off the chart (<see cref="Smoothness"/>).</summary>
public static class FilmModelFit
{
    public sealed record Candidate(string Name, int Parameters, double Mean, double Max, double LooMean, double LooMax,
        bool Smooth, string SmoothnessNote, double[] DeltaE, double[] LooDeltaE);

    public sealed record Result(InversionParameters Inversion, CorrectionModel Correction, Candidate Chosen, IReadOnlyList<Candidate> Candidates, string Reason);

    /// <summary>Non-linear parameters of one trial: crosstalk off-diagonals (row-major, 6), log γ (3), log k.</summary>
    private sealed record Spec(string Name, bool Crosstalk, bool Toe, double[]? FixedUnmix);

    /// <param name="measured">Camera RGB of the patches on the negative (no white balance).</param>
    /// <param name="baseRgb">The film base (camera RGB) from the rebate.</param>
    /// <param name="referenceXyz">Reference XYZ D50 of the patches.</param>
    /// <param name="gammaStart">Starting slopes (e.g. from the grey ramp).</param>
    /// <param name="unmix">A manual unmix (the user's --unmix): crosstalk is then fixed to it and not fitted.</param>
    /// <param name="use">Patches to fit on (unclipped).</param>
    public static Result Fit(IReadOnlyList<Vec3> measured, double[] baseRgb, IReadOnlyList<Vec3> referenceXyz, double[] gammaStart,
        double[]? unmix, IReadOnlyList<int> use)
    {
        var specs = new List<Spec>();
        if (unmix is null)
        {
            specs.Add(new("crosstalk + slopes + toe + 3×3", true, true, null));
            specs.Add(new("crosstalk + slopes + 3×3 (no toe)", true, false, null));
        }
        specs.Add(new(unmix is null ? "slopes + toe + 3×3 (no crosstalk)" : "given unmix + slopes + toe + 3×3", false, true, unmix));
        specs.Add(new(unmix is null ? "slopes + 3×3" : "given unmix + slopes + 3×3", false, false, unmix));
        var fits = specs.Select(s => (spec: s, fit: FitOne(s, measured, baseRgb, referenceXyz, gammaStart, use))).ToList();
        var candidates = new List<Candidate>();
        var inSample = fits.Select(f => Enumerable.Range(0, measured.Count)
            .Select(i => use.Contains(i) ? DeltaE.Ciede2000Xyz(f.fit.Map(measured[i]), referenceXyz[i], WhitePoints.D50) : double.NaN).ToArray()).ToList();
        double bestFit = inSample.Min(d => d.Where(v => !double.IsNaN(v)).Average());
        for (int c = 0; c < fits.Count; c++)
        {
            var (spec, fit) = fits[c];
            var de = inSample[c];
            var ok = de.Where(d => !double.IsNaN(d)).ToArray();
            var loo = new double[measured.Count];
            // Leave-one-out only for models that can compete (in-sample mean within 1 ΔE2000 of the best + 100 %):
            // a model that cannot fit the chart will not predict it; its leave-one-out is reported as its fit.
            if (ok.Average() <= 2 * bestFit + 1)
                Parallel.For(0, measured.Count, Imaging.Parallelism.Options, i =>
                {
                    if (!use.Contains(i)) { loo[i] = double.NaN; return; }
                    var m = FitOne(spec, measured, baseRgb, referenceXyz, gammaStart, use.Where(j => j != i).ToList(), fit.X, iterations: 150);
                    loo[i] = DeltaE.Ciede2000Xyz(m.Map(measured[i]), referenceXyz[i], WhitePoints.D50);
                });
            else Array.Copy(de, loo, de.Length);
            var (smooth, note) = Smoothness(fit.Map, measured, baseRgb);
            var lok = loo.Where(d => !double.IsNaN(d)).ToArray();
            candidates.Add(new(spec.Name, fit.Parameters, ok.Average(), ok.Max(), lok.Average(), lok.Max(), smooth, note, de, loo));
        }
        // The simplest smooth model whose leave-one-out mean is within 0.15 ΔE2000 of the best smooth one (more
        // parameters must earn their place on patches they were not fitted to; the Calibrator's rule).
        var smoothOnes = candidates.Where(c => c.Smooth).ToList();
        if (smoothOnes.Count == 0) smoothOnes = candidates;
        double best = smoothOnes.Min(c => c.LooMean);
        var chosen = smoothOnes.Where(c => c.LooMean <= best + 0.15).OrderBy(c => c.Parameters).ThenBy(c => c.LooMean).First();
        var chosenFit = fits[candidates.IndexOf(chosen)].fit;
        string reason = $"film model '{chosen.Name}' ({chosen.Parameters} parameters): leave-one-out mean {chosen.LooMean:0.00}, max {chosen.LooMax:0.00} ΔE2000; "
            + string.Join("; ", candidates.Select(c => $"{c.Name}: fit {c.Mean:0.00}/{c.Max:0.00}, leave-one-out {c.LooMean:0.00}/{c.LooMax:0.00}, smoothness {(c.Smooth ? "ok" : "failed")} ({c.SmoothnessNote})"));
        var (inv, corr) = chosenFit.ToPipeline(measured);
        return new Result(inv, corr, chosen, candidates, reason);
    }

    /// <summary>One fitted model: camera RGB → XYZ D50.</summary>
    private sealed class Fitted(double[] x, Spec spec, double[] baseRgb, Matrix3 m, int parameters)
    {
        public double[] X { get; } = x;
        public int Parameters { get; } = parameters;
        public Matrix3 M { get; } = m;
        public InversionParameters Inversion { get; } = Build(x, spec, baseRgb);
        public Vec3 Map(Vec3 raw) => M * Linear(Inversion, raw);

        /// <summary>The inversion with the grey reference set so neutral 5 (patch 22) is 1 in every layer, and the
        /// correction (applied to 0.18 × that) to XYZ D50.</summary>
        public (InversionParameters, CorrectionModel) ToPipeline(IReadOnlyList<Vec3> measured)
        {
            var (e0, e1, e2) = Inversion.LogExposure(measured[21].X, measured[21].Y, measured[21].Z);
            var inv = Inversion with { Grey = [e0, e1, e2] };
            var k = M * Matrix3.Diagonal(Math.Pow(10, e0), Math.Pow(10, e1), Math.Pow(10, e2));
            k = (1 / 0.18) * k;
            var coeffs = new[] { new[] { k.M00, k.M01, k.M02 }, new[] { k.M10, k.M11, k.M12 }, new[] { k.M20, k.M21, k.M22 } };
            return (inv, new CorrectionModel(ModelKind.Matrix, coeffs, 1));
        }
    }

    private static Vec3 Linear(InversionParameters p, Vec3 raw)
    {
        var (r, g, b) = p.Invert(raw.X, raw.Y, raw.Z);
        return new Vec3(r, g, b);
    }

    private static InversionParameters Build(double[] x, Spec spec, double[] baseRgb)
    {
        double[]? unmix = spec.FixedUnmix;
        if (spec.Crosstalk)
        {
            var c = Matrix3.FromRows([1 - x[0] - x[1], x[0], x[1], x[2], 1 - x[2] - x[3], x[3], x[4], x[5], 1 - x[4] - x[5]]);
            unmix = c.Inverse().ToArray();
        }
        int o = spec.Crosstalk ? 6 : 0;
        double[] gamma = [Math.Exp(x[o]), Math.Exp(x[o + 1]), Math.Exp(x[o + 2])];
        return new InversionParameters(baseRgb, gamma, [0, 0, 0], unmix, 0, [0, 0, 0], false) { Toe = spec.Toe ? Math.Exp(x[o + 3]) : null };
    }

    private static Fitted FitOne(Spec spec, IReadOnlyList<Vec3> measured, double[] baseRgb, IReadOnlyList<Vec3> xyz, double[] gammaStart,
        IReadOnlyList<int> use, double[]? start = null, int iterations = 1200)
    {
        var x0 = start ?? [.. (spec.Crosstalk ? new double[6] : []), .. gammaStart.Select(g => Math.Log(g)), .. (spec.Toe ? new[] { Math.Log(3.0) } : [])];
        var target = use.Select(i => xyz[i]).ToArray();
        var raws = use.Select(i => measured[i]).ToArray();
        var lin = new Vec3[raws.Length];
        double Cost(double[] x)
        {
            var p = Build(x, spec, baseRgb);
            if (p.Gamma.Any(g => g < 0.1 || g > 3) || (p.Toe is { } k && (k < 0.5 || k > 20))) return 1e9;
            if (spec.Crosstalk && x.Take(6).Any(v => v < -0.1 || v > 0.45)) return 1e9;
            for (int j = 0; j < raws.Length; j++)
            {
                lin[j] = Linear(p, raws[j]);
                if (!double.IsFinite(lin[j].X + lin[j].Y + lin[j].Z)) return 1e9;
            }
            var m = SolveMatrix(lin, target);
            double s = 0;
            for (int j = 0; j < lin.Length; j++) { double d = DeltaE.Ciede2000Xyz(m * lin[j], target[j], WhitePoints.D50); s += d * d; }
            return s / lin.Length;
        }
        // Restarts from the best point found: a simplex collapses along curved valleys (the crosstalk and the slopes
        // trade off against each other), a fresh one around the same point continues.
        var best = x0;
        for (int r = 0; r < (start is null ? 3 : 1); r++) best = NelderMead(Cost, best, iterations / (start is null ? 3 : 1));
        var pb = Build(best, spec, baseRgb);
        var mb = SolveMatrix(use.Select(i => Linear(pb, measured[i])).ToArray(), use.Select(i => xyz[i]).ToArray());
        return new Fitted(best, spec, baseRgb, mb, best.Length + 9);
    }

    /// <summary>XYZ ≈ M · lin by least squares, each patch weighted by 1/(Y + 0.02) so dark patches count as they look.</summary>
    private static Matrix3 SolveMatrix(Vec3[] lin, Vec3[] xyz)
    {
        // Normal equations (AᵀWA) m = AᵀW t per output row; 3×3, solved by its inverse (called thousands of times).
        double a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0;
        var r = new double[3, 3];
        for (int i = 0; i < lin.Length; i++)
        {
            double w = 1 / ((xyz[i].Y + 0.02) * (xyz[i].Y + 0.02));
            var v = lin[i];
            a00 += w * v.X * v.X; a01 += w * v.X * v.Y; a02 += w * v.X * v.Z; a11 += w * v.Y * v.Y; a12 += w * v.Y * v.Z; a22 += w * v.Z * v.Z;
            for (int ch = 0; ch < 3; ch++) { double t = w * xyz[i][ch]; r[ch, 0] += t * v.X; r[ch, 1] += t * v.Y; r[ch, 2] += t * v.Z; }
        }
        var inv = new Matrix3(a00, a01, a02, a01, a11, a12, a02, a12, a22).Inverse();
        var rows = new double[9];
        for (int ch = 0; ch < 3; ch++)
        {
            var m = inv * new Vec3(r[ch, 0], r[ch, 1], r[ch, 2]);
            rows[3 * ch] = m.X; rows[3 * ch + 1] = m.Y; rows[3 * ch + 2] = m.Z;
        }
        return Matrix3.FromRows(rows);
    }

    /// <summary>Off the chart, the mapping must behave. (1) Tone scale: along the chart's grey axis in density, from
    /// 30 % below the black patch to 50 % beyond the white one, luminance must never fall as density rises. (2) Gamut
    /// grid: every pair of patches mixed in density and extrapolated 25 % beyond both ends (colours the chart does not
    /// hold); every point must map to finite XYZ, at most 5 % of them outside −5 %…300 % of the white patch's Y, and
    /// luminance must rise when all three densities rise together (at most 1 % exceptions). Returns whether it passed and the counts.</summary>
    public static (bool ok, string note) Smoothness(Func<Vec3, Vec3> map, IReadOnlyList<Vec3> measured, double[] baseRgb)
    {
        double D(Vec3 v, int c) => Math.Log10(baseRgb[c] / Math.Max(v[c], 1e-9));
        Vec3 Raw(double dr, double dg, double db) => new(baseRgb[0] * Math.Pow(10, -dr), baseRgb[1] * Math.Pow(10, -dg), baseRgb[2] * Math.Pow(10, -db));
        double whiteY = map(measured[18]).Y;
        int toneBad = 0, toneN = 0;
        var black = measured[23]; var white = measured[18];
        double prev = double.NegativeInfinity;
        for (int s = 0; s <= 40; s++)
        {
            double t = -0.3 + s * (1.8 / 40); // density fraction: 0 = black patch, 1 = white patch, beyond = brighter
            double dr = D(black, 0) + t * (D(white, 0) - D(black, 0)), dg = D(black, 1) + t * (D(white, 1) - D(black, 1)), db = D(black, 2) + t * (D(white, 2) - D(black, 2));
            if (dr < 0 || dg < 0 || db < 0) continue;
            double y = map(Raw(dr, dg, db)).Y;
            toneN++;
            if (!double.IsFinite(y) || y < prev) toneBad++; // flat where the toe bottoms out is allowed, falling is not
            prev = y;
        }
        // Colours between and beyond the chart's: every pair of patches, mixed in density half and half, and
        // extrapolated 25 % beyond either end (what a film can hold, unlike independent channel densities, which the
        // crosstalk of the camera bands would never produce).
        int bad = 0, total = 0, diagonalBad = 0;
        for (int i = 0; i < measured.Count; i++)
            for (int j = i + 1; j < measured.Count; j++)
                foreach (double t in new[] { -0.25, 0.5, 1.25 })
                {
                    double dr = (1 - t) * D(measured[i], 0) + t * D(measured[j], 0), dg = (1 - t) * D(measured[i], 1) + t * D(measured[j], 1), db = (1 - t) * D(measured[i], 2) + t * D(measured[j], 2);
                    if (dr < 0 || dg < 0 || db < 0) continue;
                    var v = map(Raw(dr, dg, db));
                    total++;
                    if (!double.IsFinite(v.X + v.Y + v.Z) || v.Y < -0.05 * whiteY || v.Y > 3 * whiteY) bad++;
                    else if (!(map(Raw(dr + 0.05, dg + 0.05, db + 0.05)).Y > v.Y)) diagonalBad++;
                }
        bool ok = toneBad == 0 && bad <= total / 20 && diagonalBad <= total / 100;
        return (ok, $"tone scale {toneBad}/{toneN} non-monotone steps, gamut grid {bad}/{total} out of range, {diagonalBad} non-monotone");
    }

    /// <summary>Nelder–Mead simplex (standard coefficients), a fixed number of iterations, returns the best vertex.</summary>
    private static double[] NelderMead(Func<double[], double> f, double[] x0, int iterations)
    {
        int n = x0.Length;
        var pts = new double[n + 1][]; var val = new double[n + 1];
        pts[0] = (double[])x0.Clone(); val[0] = f(pts[0]);
        for (int i = 0; i < n; i++)
        {
            var p = (double[])x0.Clone();
            p[i] += Math.Abs(p[i]) > 0.2 ? 0.1 * Math.Abs(p[i]) : 0.03;
            pts[i + 1] = p; val[i + 1] = f(p);
        }
        for (int it = 0; it < iterations; it++)
        {
            var order = Enumerable.Range(0, n + 1).OrderBy(i => val[i]).ToArray();
            pts = order.Select(i => pts[i]).ToArray(); val = order.Select(i => val[i]).ToArray();
            if (val[n] - val[0] < 1e-10) break;
            var c = new double[n];
            for (int i = 0; i < n; i++) for (int d = 0; d < n; d++) c[d] += pts[i][d] / n;
            double[] At(double t) => Enumerable.Range(0, n).Select(d => c[d] + t * (pts[n][d] - c[d])).ToArray();
            var xr = At(-1); double fr = f(xr);
            if (fr < val[0])
            {
                var xe = At(-2); double fe = f(xe);
                (pts[n], val[n]) = fe < fr ? (xe, fe) : (xr, fr);
            }
            else if (fr < val[n - 1]) (pts[n], val[n]) = (xr, fr);
            else
            {
                var xc = fr < val[n] ? At(-0.5) : At(0.5); double fc = f(xc);
                if (fc < Math.Min(fr, val[n])) (pts[n], val[n]) = (xc, fc);
                else
                    for (int i = 1; i <= n; i++)
                    {
                        pts[i] = Enumerable.Range(0, n).Select(d => pts[0][d] + 0.5 * (pts[i][d] - pts[0][d])).ToArray();
                        val[i] = f(pts[i]);
                    }
            }
        }
        int bi = Array.IndexOf(val, val.Min());
        return pts[bi];
    }
}

/// <summary>A chart frame's patches → the roll's inversion and colour correction: the physically parameterised
/// <see cref="FilmModelFit"/> next to the earlier path (slopes from the grey ramp, grey from neutral 5, then the
/// Calibrator's 3×3 / root-polynomial on the inverted patches), both judged by leave-one-out and smoothness.</summary>
public static class ChartFilmFit
{
    public sealed record Result(InversionParameters Inversion, CalibrationResult Calibration, IReadOnlyList<FilmModelFit.Candidate> Candidates);

    /// <param name="forced">A correction model the user chose (--model): the earlier path with that model only.</param>
    public static Result Fit(IReadOnlyList<Charts.PatchSample> patches, double[] baseRgb, IReadOnlyList<Vec3> referenceXyz, FilmStock stock,
        double[]? unmix, ModelKind? forced, string source)
    {
        var x = patches.Select(p => p.Rgb).ToArray();
        // Slopes: density rises with log exposure at γ per layer; fit on the greys above the toe (white … neutral 3.5).
        var greys = new[] { 18, 19, 20, 21, 22 };
        double[] gamma = new double[3];
        var unit = new InversionParameters(baseRgb, [1, 1, 1], [0, 0, 0], unmix, 0, [0, 0, 0], stock.BlackAndWhite);
        var dens = x.Select(v => unit.Density(v.X, v.Y, v.Z)).Select(t => new[] { t.Item1, t.Item2, t.Item3 }).ToArray();
        for (int c = 0; c < 3; c++)
        {
            var pts = greys.Select(p => (lx: Math.Log10(referenceXyz[p].Y), d: dens[p][c])).ToArray();
            double mx = pts.Average(t => t.lx), md = pts.Average(t => t.d);
            gamma[c] = pts.Sum(t => (t.lx - mx) * (t.d - md)) / pts.Sum(t => (t.lx - mx) * (t.lx - mx));
        }
        if (gamma.Any(g => !(g > 0.05))) throw new ArgumentException($"{source}: the chart's greys give no usable film slopes ({string.Join("/", gamma.Select(g => g.ToString("0.00")))})");
        var p0 = new InversionParameters(baseRgb, gamma, [0, 0, 0], unmix, 0, [0, 0, 0], stock.BlackAndWhite);
        var (e0, e1, e2) = p0.LogExposure(x[21].X, x[21].Y, x[21].Z);
        double target = Math.Log10(referenceXyz[21].Y / 0.18);
        var legacyInv = p0 with { Grey = [e0 - target, e1 - target, e2 - target] };
        var positive = Positive(patches, legacyInv);
        var legacy = Calibrator.Calibrate(positive, referenceXyz, forced);
        if (forced is not null || stock.BlackAndWhite) return new Result(legacyInv, legacy, []);

        var use = legacy.UsedPatches;
        var film = FilmModelFit.Fit(x, baseRgb, referenceXyz, gamma, unmix, use);
        var legacyModel = legacy.Model;
        Vec3 LegacyMap(Vec3 raw) { var (r, g, b) = legacyInv.Invert(raw.X, raw.Y, raw.Z); return legacyModel.ToXyzD50(0.18 * new Vec3(r, g, b)); }
        var (smooth, note) = FilmModelFit.Smoothness(LegacyMap, x, baseRgb);
        var ev = legacy.Evaluation;
        var legacyCandidate = new FilmModelFit.Candidate($"slopes from the greys + {ev.Kind} on the inverted patches", 5 + 3 * CorrectionModel.Terms(ev.Kind),
            ev.Mean, ev.Max, ev.LooMean, ev.LooMax, smooth, note, ev.DeltaE, ev.LooDeltaE);
        var all = film.Candidates.Append(legacyCandidate).ToList();
        // The earlier path when it is smooth and better on patches it was not fitted to (no margin: on charts where
        // it was already good, e.g. with the user's --unmix, results must not get worse).
        bool useLegacy = smooth && ev.LooMean < film.Chosen.LooMean;
        var chosen = useLegacy ? legacyCandidate : film.Chosen;
        string reason = $"{(useLegacy ? legacy.Reason : film.Reason)}; {legacyCandidate.Name}: fit {ev.Mean:0.00}/{ev.Max:0.00}, leave-one-out {ev.LooMean:0.00}/{ev.LooMax:0.00}, smoothness {(smooth ? "ok" : "failed")} ({note})";
        if (useLegacy) return new Result(legacyInv, legacy with { Reason = reason }, all);
        var evaluation = new ModelEvaluation(ModelKind.Matrix, chosen.DeltaE, chosen.LooDeltaE);
        var result = new CalibrationResult(film.Correction, evaluation, legacy.Candidates, reason, use, legacy.Warnings);
        return new Result(film.Inversion, result, all);
    }

    /// <summary>The patches as the pipeline sees them after the inversion (0.18 × relative positive).</summary>
    public static List<Charts.PatchSample> Positive(IReadOnlyList<Charts.PatchSample> patches, InversionParameters p) =>
        patches.Select(s =>
        {
            var (r, g, b) = p.Invert(s.Rgb.X, s.Rgb.Y, s.Rgb.Z);
            return s with { Rgb = 0.18 * new Vec3(r, g, b) };
        }).ToList();
}
