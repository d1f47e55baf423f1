namespace ImageSpace.Core.Imaging;

/// <summary>A linear float RGB image stored as three planes. Planar layout lets every per-pixel operator run as plain
/// SIMD loops over contiguous memory; interleaving happens only at encode.
/// Planes come from <see cref="LargeArrayPool{T}"/>; disposing an image hands them back for the next one (using it
/// afterwards is a bug). Not disposing is safe, the GC then frees them.</summary>
public sealed class RgbImage : IDisposable
{
    public int Width { get; }
    public int Height { get; }
    public float[] R { get; }
    public float[] G { get; }
    public float[] B { get; }
    /// <summary>Optional coverage, 1 = opaque, 0 = transparent (masked export); written by formats with alpha.</summary>
    public float[]? Alpha { get; set; }

    public RgbImage(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"invalid image size {width}x{height}");
        Width = width; Height = height;
        long n = (long)width * height;
        if (n > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(width), $"image too large: {width}x{height}");
        R = LargeArrayPool<float>.Rent((int)n);
        G = LargeArrayPool<float>.Rent((int)n);
        B = LargeArrayPool<float>.Rent((int)n);
    }

    public RgbImage(int width, int height, float[] r, float[] g, float[] b)
    {
        if (r.Length != width * height || g.Length != r.Length || b.Length != r.Length)
            throw new ArgumentException("plane sizes do not match the image size");
        Width = width; Height = height; R = r; G = g; B = b;
    }

    public int PixelCount => Width * Height;

    private bool _disposed;
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        LargeArrayPool<float>.Return(R);
        LargeArrayPool<float>.Return(G);
        LargeArrayPool<float>.Return(B);
        LargeArrayPool<float>.Return(Alpha);
    }
    public float[] Plane(int c) => c switch { 0 => R, 1 => G, 2 => B, _ => throw new ArgumentOutOfRangeException(nameof(c)) };

    public (float r, float g, float b) this[int x, int y] => (R[y * Width + x], G[y * Width + x], B[y * Width + x]);

    /// <summary>A copy in pooled planes (a fresh array would cost its page faults on every UI slider move).</summary>
    public RgbImage Clone()
    {
        var c = new RgbImage(Width, Height);
        R.AsSpan().CopyTo(c.R); G.AsSpan().CopyTo(c.G); B.AsSpan().CopyTo(c.B);
        if (Alpha is not null) { c.Alpha = LargeArrayPool<float>.Rent(Alpha.Length); Alpha.AsSpan().CopyTo(c.Alpha); }
        return c;
    }

    /// <summary>Mean of each channel over a rectangle (clamped to the image).</summary>
    public (double r, double g, double b) MeanOf(int x0, int y0, int w, int h)
    {
        int x1 = Math.Min(Width, x0 + w), y1 = Math.Min(Height, y0 + h);
        x0 = Math.Max(0, x0); y0 = Math.Max(0, y0);
        double sr = 0, sg = 0, sb = 0; long n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int i = y * Width + x;
                sr += R[i]; sg += G[i]; sb += B[i]; n++;
            }
        if (n == 0) throw new ArgumentException("empty rectangle");
        return (sr / n, sg / n, sb / n);
    }
}
