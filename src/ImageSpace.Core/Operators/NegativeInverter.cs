using ImageSpace.Core.Film;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

/// <summary>The density model of a colour negative, per pixel, on linear camera RGB without white balance:
/// density above the film base D = log10(base / x), normalised by each layer's slope e = D / γ, the toe of the
/// characteristic curve undone, shifted so the grey reference is neutral, and turned back into scene-linear light
/// P = 0.18 · 2^EV · 10^(e − grey + trim). This is RawTherapee's power law (P ∝ x^(−1/γ)) with an explicit base,
/// toe and grey (shared/docs/film-negative-anchors.md §5, §6.1). The output keeps its headroom (no clipping), but
/// no pixel can explode: transmittance is floored per channel at the densest film the frame really holds
/// (<see cref="InversionSafety"/>), and the pixels that hit the floor are counted.</summary>
public sealed class NegativeInverter(InversionParameters p) : IImageOperator
{
    public InversionParameters Parameters { get; } = p;
    public string Name => "negative";
    public bool IsIdentity => false;
    /// <summary>After <see cref="Apply"/>: pixels with at least one channel at the transmittance floor, and the
    /// floor used (unmixed camera RGB).</summary>
    public long FloorHits { get; private set; }
    public double[] FloorUsed { get; private set; } = [0, 0, 0];

    public void Apply(RgbImage img, OperatorContext context)
    {
        var q = Parameters.Floor is null ? Parameters with { Floor = InversionSafety.FloorFor(img, Parameters) } : Parameters;
        FloorUsed = q.Floor!;
        double gain = 0.18 * Math.Pow(2, q.ExposureEv);
        var fl = q.Floor!;
        long hits = 0;
        var rowHits = new int[img.Height];
        Parallel.For(0, img.Height, Parallelism.Options, y =>
        {
            int n = 0;
            for (int x = 0, i = y * img.Width; x < img.Width; x++, i++)
            {
                var (ur, ug, ub) = q.Mixed(img.R[i], img.G[i], img.B[i]);
                if (ur < fl[0] || ug < fl[1] || ub < fl[2]) n++;
                var (pr, pg, pb) = q.InvertMixed(ur, ug, ub);
                img.R[i] = (float)(gain * pr); img.G[i] = (float)(gain * pg); img.B[i] = (float)(gain * pb);
            }
            rowHits[y] = n;
        });
        foreach (var h in rowHits) hits += h;
        FloorHits = hits;
    }

    /// <summary>A warning line when pixels were clamped, else null.</summary>
    public string? FloorWarning(long pixelCount) => FloorHits == 0 ? null
        : $"{FloorHits} pixels ({FloorHits / (double)Math.Max(1, pixelCount):P2}) denser than the frame's densest film (dust, noise, sharp edges) were held at the film's maximum density";
}
