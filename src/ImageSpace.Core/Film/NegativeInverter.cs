using ImageSpace.Core.Imaging;
using ImageSpace.Core.Operators;

namespace ImageSpace.Core.Film;

/// <summary>The density model of a colour negative, per pixel, on linear camera RGB without white balance:
/// density above the film base D = log10(base / x), normalised by each layer's slope e = D / γ, shifted so the grey
/// reference is neutral, and turned back into scene-linear light P = 0.18 · 2^EV · 10^(e − grey + trim). This is
/// RawTherapee's power law (P ∝ x^(−1/γ)) with an explicit base and grey (shared/docs/film-negative-anchors.md §5).
/// The output keeps its headroom (no clipping).</summary>
public sealed class NegativeInverter(InversionParameters p) : IImageOperator
{
    public InversionParameters Parameters { get; } = p;
    public string Name => "negative";
    public bool IsIdentity => false;

    public void Apply(RgbImage img, OperatorContext context)
    {
        var q = Parameters;
        double gain = 0.18 * Math.Pow(2, q.ExposureEv);
        PixelMap.Apply(img, (r, g, b) =>
        {
            var (pr, pg, pb) = q.Invert(r, g, b);
            return (gain * pr, gain * pg, gain * pb);
        });
    }
}

/// <summary>Everything the inversion needs, resolved (numbers, not choices).</summary>
public sealed record InversionParameters(double[] Base, double[] Gamma, double[] Grey, double[]? Unmix, double ExposureEv, double[] Trims, bool BlackAndWhite)
{
    private const double Floor = 1e-6;

    /// <summary>The base in the same (unmixed) space as the pixels it divides.</summary>
    private double[] UnmixedBase => _unmixedBase ??= Mix(Base[0], Base[1], Base[2]) is var (r, g, b) ? (BlackAndWhite ? [(r + g + b) / 3, (r + g + b) / 3, (r + g + b) / 3] : [r, g, b]) : Base;
    private double[]? _unmixedBase;

    private (double, double, double) Mix(double r, double g, double b) =>
        Unmix is { } u ? (u[0] * r + u[1] * g + u[2] * b, u[3] * r + u[4] * g + u[5] * b, u[6] * r + u[7] * g + u[8] * b) : (r, g, b);

    /// <summary>Density above the base, per layer (unmixed, before slope normalisation).</summary>
    public (double, double, double) Density(double r, double g, double b)
    {
        (r, g, b) = Mix(r, g, b);
        if (BlackAndWhite) r = g = b = (r + g + b) / 3;
        var bs = UnmixedBase;
        return (Math.Log10(bs[0] / Math.Max(r, Floor)), Math.Log10(bs[1] / Math.Max(g, Floor)), Math.Log10(bs[2] / Math.Max(b, Floor)));
    }

    /// <summary>Log exposure (before the grey offset) of camera RGB.</summary>
    public (double, double, double) LogExposure(double r, double g, double b)
    {
        var (dr, dg, db) = Density(r, g, b);
        return (dr / Gamma[0], dg / Gamma[1], db / Gamma[2]);
    }

    /// <summary>Relative scene-linear positive (grey reference → 1).</summary>
    public (double, double, double) Invert(double r, double g, double b)
    {
        var (er, eg, eb) = LogExposure(r, g, b);
        // A trim adds its colour: more cyan means less red light in the positive.
        return (Math.Pow(10, er - Grey[0] - Trims[0]), Math.Pow(10, eg - Grey[1] - Trims[1]), Math.Pow(10, eb - Grey[2] - Trims[2]));
    }
}
