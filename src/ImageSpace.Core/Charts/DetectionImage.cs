using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Charts;

/// <summary>The 8-bit grey image contours are searched in, made from the linear image: box-downscaled by an integer
/// factor, luminance normalised by its 99.5th percentile and gamma-encoded (so dark patches keep their edges), and
/// inverted for film negatives (whose chart body is bright). Measurements never use it: they come from the linear
/// image.</summary>
public sealed class DetectionImage : IDisposable
{
    public Mat Grey { get; }
    /// <summary>The linear image box-downscaled by the same factor: colours for scoring orientations cheaply. Made on
    /// first use: a frame without a patch grid never needs it.</summary>
    public RgbImage Small => _parent?.Small ?? (_small ??= Downscale(_source, SmallFactor));
    private RgbImage? _small;
    private readonly RgbImage _source;
    /// <summary>Full-resolution pixels per detection pixel (0.5 when upsampled for tiny patches): a detection pixel
    /// index p (centre at p) is at full-resolution coordinate (p + ½) × Scale.</summary>
    public double Scale { get; }
    /// <summary>Full-resolution pixels per pixel of <see cref="Small"/>.</summary>
    public int SmallFactor { get; }

    private readonly DetectionImage? _parent;

    private DetectionImage(Mat grey, RgbImage source, double scale, int smallFactor, DetectionImage? parent = null)
    {
        Grey = grey; _source = source; Scale = scale; SmallFactor = smallFactor; _parent = parent;
    }

    /// <summary>The same image upsampled 2× (cubic), for charts whose patches are only ~10 pixels wide.</summary>
    public DetectionImage Upsampled()
    {
        var big = new Mat();
        Cv2.Resize(Grey, big, new Size(Grey.Width * 2, Grey.Height * 2), 0, 0, InterpolationFlags.Cubic);
        return new DetectionImage(big, _source, Scale / 2, SmallFactor, parent: this);
    }

    public static DetectionImage Create(RgbImage img, int factor, bool negative)
    {
        int w = img.Width / factor, h = img.Height / factor;
        var y = LargeArrayPool<float>.Rent(w * h);
        try
        {
            float inv = 1f / (factor * factor);
            Parallel.For(0, h, Parallelism.Options, () => new double[img.Width], (r, _, acc) =>
            {
                int W = img.Width;
                if (factor == 1)
                {
                    MeanRow(img.R.AsSpan(r * W, W), img.G.AsSpan(r * W, W), img.B.AsSpan(r * W, W), y.AsSpan(r * w, w));
                    return acc;
                }
                // Column sums of r + g + b over the block's rows, then sums over the block's columns: the same sums
                // as adding the block's pixels one by one (doubles hold these float sums exactly), in SIMD.
                Array.Clear(acc);
                for (int dy = 0; dy < factor; dy++)
                {
                    int row = (r * factor + dy) * W;
                    AddRow(img.R.AsSpan(row, W), img.G.AsSpan(row, W), img.B.AsSpan(row, W), acc);
                }
                for (int c = 0; c < w; c++)
                {
                    double sum = 0;
                    for (int dx = 0, x = c * factor; dx < factor; dx++, x++) sum += acc[x];
                    // Equal-weight channel mean: a rough white balance is enough to see patch edges, and it keeps blue
                    // and red patches as visible as green ones whatever the camera space.
                    y[r * w + c] = Math.Max(0f, (float)sum * inv / 3);
                }
                return acc;
            }, _ => { });
            int n = w * h;
            if (negative)
                for (int i = 0; i < n; i++) y[i] = 1f / Math.Max(y[i], 1e-4f);
            // The 99.5th percentile of every 7th value, by linear-time selection (a full sort cost ~0.5 s at 24 MP).
            var sample = new float[(n + 6) / 7];
            for (int i = 0, k = 0; i < n; i += 7) sample[k++] = y[i];
            float top = Math.Max(Statistics.SelectInPlace(sample, (int)(sample.Length * 0.995)), 1e-6f);
            var mat = new Mat(h, w, MatType.CV_8UC1);
            var encode = GammaEncoder.Instance;
            unsafe
            {
                byte* bytes = (byte*)mat.Data;
                Parallel.For(0, h, Parallelism.Options, r =>
                {
                    for (int i = r * w, end = i + w; i < end; i++) bytes[i] = encode.Byte(y[i] / top);
                });
            }
            return new DetectionImage(mat, img, factor, factor);
        }
        finally { LargeArrayPool<float>.Return(y); }
    }

    /// <summary>max(0, (float)(r + g + b in double) / 3) per pixel, as the downscaling loop computes it at factor 1,
    /// in SIMD (the sum is widened to double so the result is the same to the bit).</summary>
    private static void MeanRow(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> y)
    {
        int i = 0, n = y.Length, lanes = System.Numerics.Vector<float>.Count;
        var three = new System.Numerics.Vector<float>(3f);
        for (; i <= n - lanes; i += lanes)
        {
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(r[i..]), out var r0, out var r1);
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(g[i..]), out var g0, out var g1);
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(b[i..]), out var b0, out var b1);
            var sum = System.Numerics.Vector.Narrow(r0 + g0 + b0, r1 + g1 + b1);
            System.Numerics.Vector.Max(sum / three, System.Numerics.Vector<float>.Zero).CopyTo(y[i..]);
        }
        for (; i < n; i++) y[i] = Math.Max(0f, (float)((double)r[i] + g[i] + b[i]) / 3);
    }

    /// <summary>acc += r + g + b per pixel, in double.</summary>
    private static void AddRow(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<double> acc)
    {
        int i = 0, n = acc.Length, lanes = System.Numerics.Vector<float>.Count, half = System.Numerics.Vector<double>.Count;
        for (; i <= n - lanes; i += lanes)
        {
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(r[i..]), out var r0, out var r1);
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(g[i..]), out var g0, out var g1);
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(b[i..]), out var b0, out var b1);
            (new System.Numerics.Vector<double>(acc[i..]) + (r0 + g0 + b0)).CopyTo(acc[i..]);
            (new System.Numerics.Vector<double>(acc[(i + half)..]) + (r1 + g1 + b1)).CopyTo(acc[(i + half)..]);
        }
        for (; i < n; i++) acc[i] += (double)r[i] + g[i] + b[i];
    }

    /// <summary>Box mean over factor × factor blocks (the image itself at factor 1).</summary>
    private static RgbImage Downscale(RgbImage img, int factor)
    {
        if (factor == 1) return img;
        int w = img.Width / factor, h = img.Height / factor;
        var small = new RgbImage(w, h);
        float inv = 1f / (factor * factor);
        Parallel.For(0, h, Parallelism.Options, r =>
        {
            for (int c = 0; c < w; c++)
            {
                double sr = 0, sg = 0, sb = 0;
                for (int dy = 0; dy < factor; dy++)
                {
                    int row = (r * factor + dy) * img.Width + c * factor;
                    for (int dx = 0; dx < factor; dx++) { sr += img.R[row + dx]; sg += img.G[row + dx]; sb += img.B[row + dx]; }
                }
                int o = r * w + c;
                small.R[o] = (float)sr * inv; small.G[o] = (float)sg * inv; small.B[o] = (float)sb * inv;
            }
        });
        return small;
    }

    /// <summary>round(255 · r^(1/2.2)) clamped to 0…255, as <c>Math.Pow</c> gives it, without a power per pixel: a
    /// coarse table gives the lower bound and the exact code boundaries ((k − ½)/255)^2.2 finish it.</summary>
    private sealed class GammaEncoder
    {
        public static readonly GammaEncoder Instance = new();
        private const int Steps = 4096;
        private readonly double[] _lower = new double[257]; // r at which code k starts (k = 1…255); 256: never
        private readonly byte[] _start = new byte[Steps + 1];

        private GammaEncoder()
        {
            _lower[0] = double.NegativeInfinity;
            for (int k = 1; k <= 255; k++) _lower[k] = Math.Pow((k - 0.5) / 255, 2.2);
            _lower[256] = double.PositiveInfinity;
            for (int s = 0; s <= Steps; s++) _start[s] = Reference(s / (double)Steps);
        }

        private static byte Reference(double r) => (byte)Math.Clamp(255 * Math.Pow(r, 1 / 2.2) + 0.5, 0, 255);

        public byte Byte(float ratio)
        {
            double r = ratio;
            if (!(r > 0)) return 0; // also NaN
            if (r >= 1) return Reference(r);
            int k = _start[(int)(r * Steps)];
            while (r >= _lower[k + 1]) k++;
            return (byte)k;
        }
    }

    public void Dispose()
    {
        Grey.Dispose();
        // At full scale Small is the source image itself, which belongs to the caller; an upsampled view shares its
        // parent's.
        if (_small is not null && _small != _source) _small.Dispose();
    }
}
