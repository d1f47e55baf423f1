using ImageSpace.Core.Adjust;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Operators;

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
        if (IsIdentity) return; // exact: zero strength leaves every value as it is, applied or skipped
        int w = image.Width, h = image.Height;
        var ev = Planes.Luminance(image);
        Planes.ForChunks(image.PixelCount, (s, len) =>
        {
            for (int i = s; i < s + len; i++) ev[i] = MathF.Log2(MathF.Max(ev[i], 1e-6f) / 0.18f);
        });
        using (var evMat = Planes.Wrap(ev, w, h))
        using (var filter = new GuidedFilter(evMat, RadiusFraction * Math.Max(w, h), EdgeVariance))
        {
            filter.A.GetArray(out float[] a);
            filter.B.GetArray(out float[] b);
            int gw = filter.A.Cols, gh = filter.A.Rows;
            var (xi, xw) = GuidedFilter.Axis(w, gw);
            var (yi, yw) = GuidedFilter.Axis(h, gh);
            // Gain from a table over the base value (the curve is smooth; 1/64 EV steps are exact enough).
            const int Steps = 64, Lo = -16, Hi = 8;
            var table = new float[(Hi - Lo) * Steps + 2];
            for (int i = 0; i < table.Length; i++) table[i] = (float)Math.Pow(2, GainEv(Lo + i / (double)Steps));
            // One fused pass: interpolate a, b; base = a·ev + b; gain; scale R, G, B.
            Parallel.For(0, h, Parallelism.Options, y =>
            {
                int r0 = yi[y] * gw, r1 = Math.Min(yi[y] + 1, gh - 1) * gw;
                float fy = yw[y];
                var rowA = new float[gw];
                var rowB = new float[gw];
                for (int g = 0; g < gw; g++)
                {
                    rowA[g] = a[r0 + g] + fy * (a[r1 + g] - a[r0 + g]);
                    rowB[g] = b[r0 + g] + fy * (b[r1 + g] - b[r0 + g]);
                }
                float[] R = image.R, G = image.G, B = image.B;
                for (int x = 0, i = y * w; x < w; x++, i++)
                {
                    int g0 = xi[x], g1 = Math.Min(g0 + 1, gw - 1);
                    float fx = xw[x];
                    float ca = rowA[g0] + fx * (rowA[g1] - rowA[g0]), cb = rowB[g0] + fx * (rowB[g1] - rowB[g0]);
                    float t = (Math.Clamp(ca * ev[i] + cb, Lo, Hi) - Lo) * Steps;
                    int k = (int)t;
                    float gain = table[k] + (t - k) * (table[k + 1] - table[k]);
                    R[i] *= gain; G[i] *= gain; B[i] *= gain;
                }
            });
        }
        LargeArrayPool<float>.Return(ev);
    }
}
