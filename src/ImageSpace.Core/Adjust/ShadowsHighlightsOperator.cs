using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using OpenCvSharp;

namespace ImageSpace.Core.Adjust;

/// <summary>Shadows and highlights as a local exposure change in log2 luminance (EV, a perceptual scale). The
/// change is decided by an edge-preserving base layer (guided filter), not by each pixel, so textures keep their
/// contrast and there are no halos at edges: a dark area next to a bright one is lifted as a whole. The gain
/// multiplies R, G and B alike, so hue and saturation ratios stay.
/// Both controls are mirror images: ±100 moves tones at most ±2 EV; shadows act half-way 2 EV below mid grey
/// (0.18), highlights half-way 2 EV above it.</summary>
public sealed class ShadowsHighlightsOperator(double shadows, double highlights) : IImageOperator
{
    public string Name => "shadows/highlights";
    public bool IsIdentity => shadows == 0 && highlights == 0;

    private const double MaxEv = 2, Centre = 2, Width = 0.7;
    /// <summary>Base-layer radius as a fraction of the image's long side: the same look at every preview size.</summary>
    private const double RadiusFraction = 0.015;
    /// <summary>Edges stronger than about 0.25 EV stop the smoothing (guided-filter epsilon, EV²).</summary>
    private const double EdgeVariance = 0.06;

    /// <summary>Exposure change in EV for a base-layer value in EV relative to mid grey.</summary>
    public double GainEv(double baseEv) =>
        MaxEv * (shadows / 100 * Sigmoid(-(baseEv + Centre) / Width) + highlights / 100 * Sigmoid((baseEv - Centre) / Width));

    private static double Sigmoid(double t) => 1 / (1 + Math.Exp(-t));

    public void Apply(RgbImage image, OperatorContext context)
    {
        int n = image.PixelCount;
        var ev = Planes.Luminance(image);
        Planes.ForChunks(n, (s, len) =>
        {
            for (int i = s; i < s + len; i++) ev[i] = MathF.Log2(MathF.Max(ev[i], 1e-6f) / 0.18f);
        });
        using var evMat = Planes.Wrap(ev, image.Width, image.Height);
        using var baseLayer = GuidedFilter.Smooth(evMat, RadiusFraction * Math.Max(image.Width, image.Height), EdgeVariance);
        baseLayer.GetArray(out float[] b);
        // Gain per pixel from a table over the base value (the curve is smooth; 1/64 EV steps are exact enough).
        const int Steps = 64, Lo = -16, Hi = 8;
        var table = new float[(Hi - Lo) * Steps + 1];
        for (int i = 0; i < table.Length; i++) table[i] = (float)Math.Pow(2, GainEv(Lo + i / (double)Steps));
        var gain = ev; // reuse the buffer
        Planes.ForChunks(n, (s, len) =>
        {
            for (int i = s; i < s + len; i++)
            {
                float t = (Math.Clamp(b[i], Lo, Hi) - Lo) * Steps;
                int k = Math.Min((int)t, table.Length - 2);
                gain[i] = table[k] + (t - k) * (table[k + 1] - table[k]);
            }
        });
        Planes.Scale(image, gain);
        LargeArrayPool<float>.Return(ev);
    }
}
