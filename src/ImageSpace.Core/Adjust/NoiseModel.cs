namespace ImageSpace.Core.Adjust;

/// <summary>Signal-dependent noise of one channel, variance = A·x + B (Poisson–Gaussian; Foi et al., "Practical
/// Poissonian-Gaussian noise modeling and fitting for single-image raw-data", IEEE TIP 2008), measured on the
/// image itself, and the variance-stabilising transform it implies: f(x) = 2/A·(√(A·x + B) − √B), whose noise is
/// about 1 everywhere (it tends to x/√B when A → 0).</summary>
public sealed record NoiseModel(double A, double B)
{
    private const int Bins = 16;

    public static NoiseModel Estimate(float[] plane, int width, int height)
    {
        // Immerkær's operator (a difference of two Laplacians, "Fast noise variance estimation", CVIU 1996) cancels
        // flat and linear structure; for white noise of σ its output has σ·6. Against the local mean, in brightness
        // bins, a low quantile of |output| is used rather than the median: edges and texture only ever add to it.
        int stride = Math.Max(1, (int)Math.Sqrt((double)width * height / 60_000));
        int nx = (width - 2 + stride - 1) / stride, ny = (height - 2 + stride - 1) / stride;
        var means = new float[nx * ny];
        var details = new float[nx * ny];
        int k = 0;
        for (int y = 1; y < height - 1; y += stride)
            for (int x = 1; x < width - 1; x += stride)
            {
                int i = y * width + x;
                float c = plane[i], n = plane[i - width], s = plane[i + width], w = plane[i - 1], e = plane[i + 1];
                float nw = plane[i - width - 1], ne = plane[i - width + 1], sw = plane[i + width - 1], se = plane[i + width + 1];
                means[k] = (c + n + s + w + e + nw + ne + sw + se) / 9;
                details[k++] = MathF.Abs(4 * c - 2 * (n + s + w + e) + nw + ne + sw + se);
            }
        if (k < Bins * 20) return new NoiseModel(0, 1e-8);
        Array.Sort(means, details, 0, k);
        const double Gain = 6, Quantile = 0.3, HalfNormalQuantile = 0.38532; // P(|z| < 0.38532) = 0.3
        var xs = new double[Bins];
        var vs = new double[Bins];
        int per = k / Bins;
        for (int b = 0; b < Bins; b++)
        {
            var bin = details.AsSpan(b * per, per);
            double sigma = Statistics.SelectInPlace(bin, (int)(per * Quantile)) / HalfNormalQuantile / Gain;
            double m = 0;
            for (int i = b * per; i < (b + 1) * per; i++) m += means[i];
            xs[b] = m / per;
            vs[b] = sigma * sigma;
        }
        // Least squares v = A·x + B over the bins, A and B kept non-negative.
        double mx = xs.Average(), mv = vs.Average(), sxx = 0, sxv = 0;
        for (int i = 0; i < xs.Length; i++) { sxx += (xs[i] - mx) * (xs[i] - mx); sxv += (xs[i] - mx) * (vs[i] - mv); }
        double a = sxx > 0 ? Math.Max(0, sxv / sxx) : 0;
        double bb = mv - a * mx;
        double floor = Math.Max(1e-12, vs.Min() * 0.05);
        if (bb < floor) { bb = floor; a = Math.Max(0, xs.Zip(vs, (x, v) => x * (v - bb)).Sum() / Math.Max(1e-30, xs.Sum(x => x * x))); }
        return new NoiseModel(a, bb);
    }

    private double SqrtB => Math.Sqrt(B);

    public void Forward(float[] plane, int n)
    {
        float a = (float)A, b = (float)B, sb = (float)SqrtB;
        if (a < 1e-12f * b) { float s = 1 / sb; Planes.ForChunks(n, (o, len) => { for (int i = o; i < o + len; i++) plane[i] *= s; }); return; }
        Planes.ForChunks(n, (o, len) =>
        {
            for (int i = o; i < o + len; i++) plane[i] = 2 / a * (MathF.Sqrt(MathF.Max(a * plane[i] + b, 0)) - sb);
        });
    }

    public void Inverse(float[] plane, int n)
    {
        float a = (float)A, b = (float)B, sb = (float)SqrtB;
        if (a < 1e-12f * b) { Planes.ForChunks(n, (o, len) => { for (int i = o; i < o + len; i++) plane[i] *= sb; }); return; }
        Planes.ForChunks(n, (o, len) =>
        {
            for (int i = o; i < o + len; i++)
            {
                float r = MathF.Max(0, a * plane[i] / 2 + sb);
                plane[i] = (r * r - b) / a;
            }
        });
    }
}
