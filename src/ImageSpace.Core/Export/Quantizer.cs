using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>Linear values → encoded output samples. This is the one place where values are clipped (to 0..1 for
/// integer formats) and rounded to the nearest code (never truncated).
/// Speed without losing exactness: above 1/64 the transfer function comes from a 2^18-entry table of doubles with
/// linear interpolation (error about 1e-5 of a 16-bit code: the curves are smooth there); below, where power curves
/// bend sharply, it is computed exactly. Arithmetic is in double, so a code differs from the exact one only when the
/// exact value lies within ~1e-5 of a rounding boundary.</summary>
public sealed class Quantizer
{
    private const double TableStart = 1.0 / 64;
    private const int TableSize = 1 << 18;
    private const double TableScale = TableSize / (1 - TableStart);
    private readonly TransferFunction _tf;
    private readonly double[]? _table;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TransferFunction, double[]> Tables = new();

    public Quantizer(TransferFunction tf)
    {
        _tf = tf;
        if (tf.IsLinear) return;
        _table = Tables.GetOrAdd(tf, t =>
        {
            var table = new double[TableSize + 2];
            for (int i = 0; i <= TableSize + 1; i++) table[i] = t.Encode(TableStart + (1 - TableStart) * i / TableSize);
            return table;
        });
    }

    /// <summary>Encoded value (not clipped: float outputs keep values outside 0..1).</summary>
    public float Encode(float v) => (float)EncodeExact(v);

    private double EncodeExact(float v)
    {
        if (_table is null) return v;
        if (v >= TableStart && v <= 1f)
        {
            double p = (v - TableStart) * TableScale;
            int i = (int)p;
            double f = p - i;
            return _table[i] + f * (_table[i + 1] - _table[i]);
        }
        return v < 0 ? -_tf.Encode(-v) : _tf.Encode(v);
    }

    public ushort To16(float v) => (ushort)(Math.Clamp(EncodeExact(v), 0, 1) * 65535 + 0.5);
    public byte To8(float v) => (byte)(Math.Clamp(EncodeExact(v), 0, 1) * 255 + 0.5);

    /// <summary>Interleaved RGB samples of one row, into <paramref name="dst"/> (3 per pixel).</summary>
    public void Row16(RgbImage img, int y, Span<ushort> dst)
    {
        int o = y * img.Width;
        for (int x = 0; x < img.Width; x++)
        {
            dst[3 * x] = To16(img.R[o + x]); dst[3 * x + 1] = To16(img.G[o + x]); dst[3 * x + 2] = To16(img.B[o + x]);
        }
    }

    public void Row8(RgbImage img, int y, Span<byte> dst)
    {
        int o = y * img.Width;
        for (int x = 0; x < img.Width; x++)
        {
            dst[3 * x] = To8(img.R[o + x]); dst[3 * x + 1] = To8(img.G[o + x]); dst[3 * x + 2] = To8(img.B[o + x]);
        }
    }

    public void RowFloat(RgbImage img, int y, Span<float> dst)
    {
        int o = y * img.Width;
        for (int x = 0; x < img.Width; x++)
        {
            dst[3 * x] = Encode(img.R[o + x]); dst[3 * x + 1] = Encode(img.G[o + x]); dst[3 * x + 2] = Encode(img.B[o + x]);
        }
    }
}
