namespace ImageSpace.Core.Film;

/// <summary>A monotone per-channel balance curve in log exposure (toe undone): maps a layer's log exposure onto green's
/// scale, e ↦ a0 + a1·e + a2·e², used between <see cref="Lo"/> and <see cref="Hi"/> (the range it was measured
/// on) and continued linearly beyond, so it never folds over. A roll analysis fits it on the roll's neutral pixels.</summary>
public sealed record BalanceCurve(double A0, double A1, double A2, double Lo, double Hi)
{
    public double Apply(double e)
    {
        if (e < Lo) return At(Lo) + Slope(Lo) * (e - Lo);
        if (e > Hi) return At(Hi) + Slope(Hi) * (e - Hi);
        return At(e);
    }
    private double At(double e) => A0 + A1 * e + A2 * e * e;
    private double Slope(double e) => A1 + 2 * A2 * e;
    public bool IsMonotone => Slope(Lo) > 0.05 && Slope(Hi) > 0.05;
}

/// <summary>Everything the inversion needs, resolved (numbers, not choices).</summary>
public sealed record InversionParameters(double[] Base, double[] Gamma, double[] Grey, double[]? Unmix, double ExposureEv, double[] Trims, bool BlackAndWhite)
{
    /// <summary>Absolute floor (relative to the base) when nothing better is known: 3.0 density above the base, beyond
    /// any colour negative's range (≈ 1.6–2.2 above base, §6.3).</summary>
    public const double MaxDensityAboveBase = 3.0;

    /// <summary>Toe sharpness k of the characteristic curve D = γ/k·log10(1 + 10^(k(h − h_toe))) (§6.1), or null for
    /// a straight line (pure power law). Undone as e' = log10(10^(k·e) − 1)/k, e = D/γ counted from the base.</summary>
    public double? Toe { get; init; }
    /// <summary>Per-channel transmittance floor in unmixed camera RGB, or null: the inverter derives it from the frame.</summary>
    public double[]? Floor { get; init; }
    /// <summary>Per-layer balance curves onto green's log exposure (null entries or null: identity).</summary>
    public BalanceCurve?[]? Balance { get; init; }

    /// <summary>The base in the same (unmixed) space as the pixels it divides.</summary>
    private double[] UnmixedBase
    {
        get
        {
            // Cached per (Base, Unmix) instance: a `with` copy that changes either must not reuse the old value.
            if (_cache is { } c && ReferenceEquals(c.b, Base) && ReferenceEquals(c.u, Unmix)) return c.v;
            var (r, g, b) = Mix(Base[0], Base[1], Base[2]);
            double[] v = BlackAndWhite ? [(r + g + b) / 3, (r + g + b) / 3, (r + g + b) / 3] : [r, g, b];
            _cache = (Base, Unmix, v);
            return v;
        }
    }
    private (double[] b, double[]? u, double[] v)? _cache;

    private (double, double, double) Mix(double r, double g, double b) =>
        Unmix is { } u ? (u[0] * r + u[1] * g + u[2] * b, u[3] * r + u[4] * g + u[5] * b, u[6] * r + u[7] * g + u[8] * b) : (r, g, b);

    /// <summary>Camera RGB → unmixed (and for B&amp;W averaged) transmittance-proportional values, before the floor.</summary>
    public (double, double, double) Mixed(double r, double g, double b)
    {
        (r, g, b) = Mix(r, g, b);
        if (BlackAndWhite) r = g = b = (r + g + b) / 3;
        return (r, g, b);
    }

    /// <summary>The floor for channel c: the given one, else the absolute maximum density above the base.</summary>
    private double FloorOf(int c) => Math.Max(Floor?[c] ?? 0, UnmixedBase[c] * Math.Pow(10, -MaxDensityAboveBase));

    /// <summary>Density above the base, per layer (unmixed, before slope normalisation); transmittance floored.</summary>
    public (double, double, double) Density(double r, double g, double b)
    {
        (r, g, b) = Mixed(r, g, b);
        return DensityMixed(r, g, b);
    }

    private (double, double, double) DensityMixed(double r, double g, double b)
    {
        var bs = UnmixedBase;
        return (Math.Log10(bs[0] / Math.Max(r, FloorOf(0))), Math.Log10(bs[1] / Math.Max(g, FloorOf(1))), Math.Log10(bs[2] / Math.Max(b, FloorOf(2))));
    }

    /// <summary>Log exposure (toe undone, balance applied, before the grey offset) of camera RGB.</summary>
    public (double, double, double) LogExposure(double r, double g, double b)
    {
        (r, g, b) = Mixed(r, g, b);
        return LogExposureMixed(r, g, b);
    }

    private (double, double, double) LogExposureMixed(double r, double g, double b)
    {
        var (dr, dg, db) = DensityMixed(r, g, b);
        double er = Untoe(dr / Gamma[0]), eg = Untoe(dg / Gamma[1]), eb = Untoe(db / Gamma[2]);
        if (Balance is { } bc) { er = bc[0]?.Apply(er) ?? er; eb = bc[2]?.Apply(eb) ?? eb; }
        return (er, eg, eb);
    }

    /// <summary>Log exposure with the toe undone. Near and below the base (noise) it bottoms out 2.5 log units under
    /// the toe, a black, instead of −∞.</summary>
    private double Untoe(double e)
    {
        if (Toe is not { } k) return e;
        double u = Math.Pow(10, k * e) - 1;
        return Math.Max(Math.Log10(Math.Max(u, 1e-300)) / k, -2.5);
    }

    /// <summary>Relative scene-linear positive (grey reference → 1).</summary>
    public (double, double, double) Invert(double r, double g, double b)
    {
        (r, g, b) = Mixed(r, g, b);
        return InvertMixed(r, g, b);
    }

    internal (double, double, double) InvertMixed(double r, double g, double b)
    {
        var (er, eg, eb) = LogExposureMixed(r, g, b);
        // A trim adds its colour: more cyan means less red light in the positive.
        return (Math.Pow(10, er - Grey[0] - Trims[0]), Math.Pow(10, eg - Grey[1] - Trims[1]), Math.Pow(10, eb - Grey[2] - Trims[2]));
    }
}
