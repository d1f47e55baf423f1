using System.Runtime.CompilerServices;
using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Export;

/// <summary>Linear values → encoded output samples. This is the one place where values are clipped (to 0..1 for
/// integer formats) and rounded to the nearest code (never truncated).
/// Speed without losing accuracy: the transfer function is evaluated by degree-7 polynomials, one per quarter of each
/// power-of-two octave of the input (indexed straight from the float's exponent and top mantissa bits), fitted once
/// in double on Chebyshev nodes to the exact curve: 96 × 8 coefficients stay in L1 cache, and every fit is checked to
/// be within 1e-9 of the curve, so a code differs from the exactly rounded one only when the exact value lies within
/// ~1e-4 of a 16-bit rounding boundary. Segments that contain a kink of a piecewise curve (sRGB's linear toe, BT.2020's)
/// and values below 2^-24 or above 1 are computed exactly.</summary>
public sealed class Quantizer
{
    private const int Octaves = 24, SegmentsPerOctave = 4, Segments = Octaves * SegmentsPerOctave, Degree = 7;
    private readonly TransferFunction _tf;
    // [segment * (Degree + 1) + power]; segment = octave * 4 + quarter, octave k covering [2^-(k+1), 2^-k)
    private readonly double[]? _coefficients;
    private readonly bool[]? _exactSegment;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TransferFunction, (double[], bool[])> Fits = new();

    private QuantizerTable? _table16, _table8;
    private readonly Func<float, ushort> _to16, _to8;
    private readonly float[]? _matrix;

    /// <param name="toOutput">a colour matrix the integer rows (<see cref="Row16"/>, <see cref="Row8"/>) apply before
    /// encoding (issue 17: one pass over the full image less than converting it first); the per-sample methods and
    /// <see cref="RowFloat"/> do not apply it</param>
    public Quantizer(TransferFunction tf, Matrix3? toOutput = null)
    {
        _tf = tf;
        if (toOutput is { } m && m != Matrix3.Identity) _matrix = MatrixOperator.Coefficients(m);
        _to16 = To16;
        _to8 = v => To8(v);
        if (tf.IsLinear) return;
        (_coefficients, _exactSegment) = Fits.GetOrAdd(tf, Fit);
    }

    private static (double[], bool[]) Fit(TransferFunction tf)
    {
        var coefficients = new double[Segments * (Degree + 1)];
        var exact = new bool[Segments];
        const int nodes = 40;
        for (int k = 0; k < Segments; k++)
        {
            double octave = Math.Pow(2, -(k / SegmentsPerOctave + 1));
            double lo = octave * (1 + (k % SegmentsPerOctave) / (double)SegmentsPerOctave), width = octave / SegmentsPerOctave;
            var a = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(nodes, Degree + 1);
            var b = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(nodes);
            for (int i = 0; i < nodes; i++)
            {
                double x = Math.Cos(Math.PI * (i + 0.5) / nodes); // Chebyshev node in (-1, 1)
                for (int p = 0; p <= Degree; p++) a[i, p] = Math.Pow(x, p);
                b[i] = tf.Encode(lo + width * (x + 1) / 2);
            }
            var c = a.QR().Solve(b);
            for (int p = 0; p <= Degree; p++) coefficients[k * (Degree + 1) + p] = c[p];
            // Check the fit densely; an octave holding a kink (or any poor fit) is evaluated exactly instead.
            double maxErr = 0;
            for (int i = 0; i <= 2000; i++)
            {
                double x = -1 + 2.0 * i / 2000, v = lo + width * (x + 1) / 2;
                maxErr = Math.Max(maxErr, Math.Abs(Estrin(coefficients, k, x) - tf.Encode(v)));
            }
            exact[k] = maxErr > 1e-9;
        }
        return (coefficients, exact);
    }

    /// <summary>The segment's polynomial, evaluated with Estrin's scheme: independent products the CPU can overlap
    /// instead of one chain of eight dependent multiply-adds.</summary>
    [MethodImpl(HotLoop.Options)]
    private static double Estrin(double[] c, int k, double x)
    {
        int o = k * (Degree + 1);
        double x2 = x * x, x4 = x2 * x2;
        double p01 = c[o] + c[o + 1] * x, p23 = c[o + 2] + c[o + 3] * x, p45 = c[o + 4] + c[o + 5] * x, p67 = c[o + 6] + c[o + 7] * x;
        return (p01 + p23 * x2) + (p45 + p67 * x2) * x4;
    }

    /// <summary>Encoded value (not clipped: float outputs keep values outside 0..1).</summary>
    public float Encode(float v) => (float)EncodeDouble(v);

    [MethodImpl(HotLoop.Options)]
    private double EncodeDouble(float v)
    {
        if (_coefficients is null) return v;
        int bits = BitConverter.SingleToInt32Bits(v);
        int octave = 126 - ((bits >> 23) & 0xFF); // v in [2^-(octave+1), 2^-octave) for positive v
        if (bits > 0 && (uint)octave < Octaves)
        {
            int k = octave * SegmentsPerOctave + ((bits >> 21) & 3); // quarter of the octave: top two mantissa bits
            if (!_exactSegment![k])
                return Estrin(_coefficients, k, (bits & 0x1FFFFF) * (2.0 / (1 << 21)) - 1); // position in the quarter, -1..1
        }
        return v < 0 ? -_tf.Encode(-v) : _tf.Encode(v);
    }

    [MethodImpl(HotLoop.Options)]
    public ushort To16(float v)
    {
        if (!(v > 0)) return 0; // also NaN
        if (v >= 1) return 65535;
        return (ushort)Math.Clamp((int)(EncodeDouble(v) * 65535 + 0.5), 0, 65535);
    }

    [MethodImpl(HotLoop.Options)]
    public byte To8(float v)
    {
        if (!(v > 0)) return 0;
        if (v >= 1) return 255;
        return (byte)Math.Clamp((int)(EncodeDouble(v) * 255 + 0.5), 0, 255);
    }

    /// <summary>Interleaved samples of one row into <paramref name="dst"/>: R, G, B, and with
    /// <paramref name="channels"/> = 4 the image's alpha (opaque when it has none); the row is first converted by the
    /// quantiser's colour matrix, if it has one. Bit-identical to <see cref="MatrixOperator.Apply(RgbImage, Matrix3)"/>
    /// followed by <see cref="To16"/> per sample; whole rows go through <see cref="QuantizerTable"/> where the CPU has
    /// AVX2.</summary>
    public void Row16(RgbImage img, int y, Span<ushort> dst, int channels = 3)
    {
        int o = y * img.Width, w = img.Width;
        var codes = System.Buffers.ArrayPool<ushort>.Shared.Rent(3 * w);
        try
        {
            Codes(img, o, w, codes, sixteen: true);
            Span<ushort> cr = codes.AsSpan(0, w), cg = codes.AsSpan(w, w), cb = codes.AsSpan(2 * w, w);
            if (channels == 3) Interleave(cr, cg, cb, dst);
            else
                for (int x = 0, d = 0; x < w; x++, d += channels)
                {
                    dst[d] = cr[x]; dst[d + 1] = cg[x]; dst[d + 2] = cb[x];
                    dst[d + 3] = Alpha16(img, o + x);
                }
        }
        finally { System.Buffers.ArrayPool<ushort>.Shared.Return(codes); }
    }

    [MethodImpl(HotLoop.Options)]
    public void Row8(RgbImage img, int y, Span<byte> dst, int channels = 3)
    {
        int o = y * img.Width, w = img.Width;
        var codes = System.Buffers.ArrayPool<ushort>.Shared.Rent(3 * w);
        try
        {
            Codes(img, o, w, codes, sixteen: false);
            Span<ushort> cr = codes.AsSpan(0, w), cg = codes.AsSpan(w, w), cb = codes.AsSpan(2 * w, w);
            for (int x = 0, d = 0; x < w; x++, d += channels)
            {
                dst[d] = (byte)cr[x]; dst[d + 1] = (byte)cg[x]; dst[d + 2] = (byte)cb[x];
                if (channels == 4) dst[d + 3] = Alpha8(img, o + x);
            }
        }
        finally { System.Buffers.ArrayPool<ushort>.Shared.Return(codes); }
    }

    /// <summary>One row's code values, plane after plane (R, G, B, <paramref name="w"/> each) into
    /// <paramref name="codes"/>: 16-bit or 8-bit, through the row table where the CPU has AVX2.</summary>
    private void Codes(RgbImage img, int o, int w, ushort[] codes, bool sixteen)
    {
        var pool = System.Buffers.ArrayPool<float>.Shared;
        var converted = _matrix is null ? null : pool.Rent(3 * w);
        try
        {
            Row(img, o, w, converted, out var r, out var g, out var b);
            Span<ushort> cr = codes.AsSpan(0, w), cg = codes.AsSpan(w, w), cb = codes.AsSpan(2 * w, w);
            if (QuantizerTable.IsSupported)
            {
                var table = sixteen ? _table16 ??= QuantizerTable.For(_tf, 65535) : _table8 ??= QuantizerTable.For(_tf, 255);
                var scalar = sixteen ? _to16 : _to8;
                table.Encode(r, cr, scalar);
                table.Encode(g, cg, scalar);
                table.Encode(b, cb, scalar);
            }
            else if (sixteen)
                for (int x = 0; x < w; x++) (cr[x], cg[x], cb[x]) = (To16(r[x]), To16(g[x]), To16(b[x]));
            else
                for (int x = 0; x < w; x++) (cr[x], cg[x], cb[x]) = (To8(r[x]), To8(g[x]), To8(b[x]));
        }
        finally
        {
            if (converted is not null) pool.Return(converted);
        }
    }

    /// <summary>The row's planes, converted by the colour matrix into <paramref name="converted"/> when there is one.</summary>
    private void Row(RgbImage img, int o, int w, float[]? converted, out ReadOnlySpan<float> r, out ReadOnlySpan<float> g, out ReadOnlySpan<float> b)
    {
        r = img.R.AsSpan(o, w); g = img.G.AsSpan(o, w); b = img.B.AsSpan(o, w);
        if (converted is null) return;
        Span<float> cr = converted.AsSpan(0, w), cg = converted.AsSpan(w, w), cb = converted.AsSpan(2 * w, w);
        MatrixOperator.Apply(_matrix!, r, g, b, cr, cg, cb);
        r = cr; g = cg; b = cb;
    }

    [MethodImpl(HotLoop.Options)]
    private static unsafe void Interleave(ReadOnlySpan<ushort> r, ReadOnlySpan<ushort> g, ReadOnlySpan<ushort> b, Span<ushort> dst)
    {
        if (dst.Length < 3 * r.Length) throw new ArgumentException("row buffer too short");
        fixed (ushort* pr = r, pg = g, pb = b, pd = dst)
            for (int x = 0; x < r.Length; x++)
            {
                pd[3 * x] = pr[x]; pd[3 * x + 1] = pg[x]; pd[3 * x + 2] = pb[x];
            }
    }

    private static ushort Alpha16(RgbImage img, int i) => img.Alpha is { } a ? (ushort)Math.Clamp((int)(a[i] * 65535 + 0.5f), 0, 65535) : (ushort)65535;
    private static byte Alpha8(RgbImage img, int i) => img.Alpha is { } a ? (byte)Math.Clamp((int)(a[i] * 255 + 0.5f), 0, 255) : (byte)255;

    public void RowFloat(RgbImage img, int y, Span<float> dst, int channels = 3)
    {
        int o = y * img.Width;
        for (int x = 0, d = 0; x < img.Width; x++, d += channels)
        {
            dst[d] = Encode(img.R[o + x]); dst[d + 1] = Encode(img.G[o + x]); dst[d + 2] = Encode(img.B[o + x]);
            if (channels == 4) dst[d + 3] = img.Alpha is { } a ? a[o + x] : 1f;
        }
    }
}
