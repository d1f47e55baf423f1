namespace ImageSpace.Core.Imaging;

/// <summary>A Bayer CFA mosaic as unpacked by LibRaw (visible area, not black-subtracted).</summary>
/// <param name="Cfa">Colour (0 R, 1 G, 2 B) of the 2×2 cell positions (0,0), (0,1), (1,0), (1,1).</param>
/// <param name="Black">Black level per cell position.</param>
/// <param name="White">Sensor saturation level.</param>
public sealed record BayerMosaic(int Width, int Height, ushort[] Data, int[] Cfa, float[] Black, float White)
{
    public int ColorAt(int x, int y) => Cfa[((y & 1) << 1) | (x & 1)];

    public void Validate()
    {
        if (Data.Length < (long)Width * Height) throw new InvalidDataException("mosaic shorter than its size");
        if (Cfa.Length != 4 || Cfa.Count(c => c == 1) != 2 || Cfa.Count(c => c == 0) != 1 || Cfa.Count(c => c == 2) != 1)
            throw new InvalidDataException($"not an RGGB-family Bayer pattern: [{string.Join(",", Cfa)}]");
        if (Cfa[0] == 1 ? Cfa[3] != 1 : Cfa[1] != 1 || Cfa[2] != 1)
            throw new InvalidDataException("greens of the Bayer pattern are not on a diagonal");
        if (Black.Any(b => b >= White)) throw new InvalidDataException($"black level {Black.Max()} not below white level {White}");
    }

    /// <summary>Highest sample value (a saturation estimate for cameras whose nominal white level is too high).</summary>
    public int MaxValue() => MaxOf(Data, Width * Height);

    /// <summary>Highest of the first <paramref name="n"/> samples (SIMD, parallel).</summary>
    public static int MaxOf(ushort[] data, int n)
    {
        int chunk = 1 << 20;
        int[] maxima = new int[(n + chunk - 1) / chunk];
        Parallel.For(0, maxima.Length, Parallelism.Options, k =>
        {
            ReadOnlySpan<ushort> span = data.AsSpan(k * chunk, Math.Min(chunk, n - k * chunk));
            var vmax = System.Numerics.Vector<ushort>.Zero;
            int i = 0, vw = System.Numerics.Vector<ushort>.Count;
            for (; i <= span.Length - vw; i += vw) vmax = System.Numerics.Vector.Max(vmax, new System.Numerics.Vector<ushort>(span[i..]));
            int mx = 0;
            for (int j = 0; j < vw; j++) mx = Math.Max(mx, vmax[j]);
            for (; i < span.Length; i++) mx = Math.Max(mx, span[i]);
            maxima[k] = mx;
        });
        return maxima.Max();
    }
}

/// <summary>How raw samples become linear values: (raw − black) × scale, then clipped. The scale folds the white
/// level and the white-balance multiplier of the sample's colour together.</summary>
public sealed record CfaNormalization(float[] Black, float[] Scale, float ClipAt)
{
    /// <param name="multipliers">WB gain per colour (R, G, B), normalised so the smallest is 1.</param>
    /// <param name="clip">Clip at the level where the least-amplified channel saturates, so a blown pixel becomes
    /// neutral white instead of magenta (dcraw's "clip" highlight mode).</param>
    public static CfaNormalization For(BayerMosaic m, float white, IReadOnlyList<float> multipliers, bool clip)
    {
        var scale = new float[4];
        for (int p = 0; p < 4; p++) scale[p] = multipliers[m.Cfa[p]] / (white - m.Black[p]);
        return new CfaNormalization(m.Black, scale, clip ? 1f : float.PositiveInfinity);
    }
}
