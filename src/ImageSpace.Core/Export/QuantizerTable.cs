using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSpace.Core.Export;

/// <summary>The fast path of <see cref="Quantizer"/> for whole rows (issue 17: the scalar per-sample path took
/// ~0.85 s of CPU per 24 MP 16-bit TIFF, more than the demosaic). Eight samples at a time (AVX2): the float's exponent
/// and top <see cref="MantissaBits"/> mantissa bits index a bucket of the input range, inside which the encoded code
/// value is interpolated linearly from the exact curve at the bucket's ends (two gathers from a table of 0.4 MB). Where the interpolated value lies within <see cref="Margin"/> of a rounding boundary the sample is left to
/// the scalar <see cref="Quantizer.To16"/>/<see cref="Quantizer.To8"/>, so the result is bit-identical to them:
/// everywhere else the interpolation error (checked per bucket when the table is built, ≤ <see cref="MaxError"/>)
/// plus the scalar path's own error (≤ 1e-4 codes) cannot cross the boundary. About 0.4 % of samples take the scalar
/// path.</summary>
internal sealed class QuantizerTable
{
    private const int MantissaBits = 11, Octaves = 24;
    private const int Shift = 23 - MantissaBits, Buckets = Octaves << MantissaBits;
    /// <summary>Float bits of 2^-24, the smallest value the table covers (smaller positive values take the scalar path).</summary>
    private const int MinBits = (127 - Octaves) << 23;
    /// <summary>A sample whose interpolated code is this close to a rounding boundary is quantised by the scalar path.</summary>
    private const float Margin = 2e-3f;
    /// <summary>Largest interpolation error (in codes) a bucket may show at its quarter points; above it, the bucket is
    /// left to the scalar path entirely (segments around a kink of a piecewise curve).</summary>
    private const double MaxError = 5e-4;

    /// <summary>The code value at each bucket's start in 16.16 fixed point (one gather for both parts).</summary>
    private readonly uint[] _base = new uint[Buckets];
    private readonly float[] _slope = new float[Buckets];
    private readonly int _maxCode;

    public static bool IsSupported => Avx2.IsSupported;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Color.TransferFunction, int), QuantizerTable> Made = new();

    public static QuantizerTable For(Color.TransferFunction tf, int maxCode) => Made.GetOrAdd((tf, maxCode), k => new QuantizerTable(k.Item1, k.Item2));

    private QuantizerTable(Color.TransferFunction tf, int maxCode)
    {
        _maxCode = maxCode;
        for (int k = 0; k < Buckets; k++)
        {
            double lo = BitConverter.Int32BitsToSingle(MinBits + (k << Shift));
            double hi = k + 1 < Buckets ? BitConverter.Int32BitsToSingle(MinBits + ((k + 1) << Shift)) : 1.0;
            double c0 = tf.Encode(lo) * maxCode, c1 = tf.Encode(hi) * maxCode;
            double error = 0;
            foreach (double t in (ReadOnlySpan<double>)[0.25, 0.5, 0.75])
                error = Math.Max(error, Math.Abs(c0 + (c1 - c0) * t - tf.Encode(lo + (hi - lo) * t) * maxCode));
            _base[k] = (uint)Math.Round(c0 * 65536); // the fraction to 2^-17 codes, well inside the margin
            _slope[k] = error <= MaxError ? (float)(c1 - c0) : float.NaN; // NaN: every sample of the bucket goes scalar
        }
    }

    /// <summary>Codes of <paramref name="src"/> into <paramref name="dst"/> (0..maxCode); <paramref name="scalar"/> is
    /// the exact per-sample rule for the samples the table leaves to it.</summary>
    public unsafe void Encode(ReadOnlySpan<float> src, Span<ushort> dst, Func<float, ushort> scalar)
    {
        int n = src.Length, i = 0;
        fixed (float* s = src)
        fixed (ushort* d = dst)
        fixed (uint* fixedBase = _base)
        fixed (float* slope = _slope)
        {
            var minBits = Vector256.Create(MinBits);
            var lastBucket = Vector256.Create(Buckets - 1);
            var positionMask = Vector256.Create((1 << Shift) - 1);
            var positionScale = Vector256.Create(1f / (1 << Shift));
            var half = Vector256.Create(0.5f);
            var fractionMask = Vector256.Create(0xFFFF);
            var fractionScale = Vector256.Create(1f / 65536);
            var margin = Vector256.Create(Margin);
            var upper = Vector256.Create(1f - Margin);
            var one = Vector256.Create(1f);
            var maxCode = Vector256.Create(_maxCode);
            for (; i <= n - 8; i += 8)
            {
                var v = Avx.LoadVector256(s + i);
                var rel = v.AsInt32() - minBits;
                var bucket = Avx2.Min(Avx2.Max(Avx2.ShiftRightArithmetic(rel, Shift), Vector256<int>.Zero), lastBucket);
                var t = Avx.ConvertToVector256Single(rel & positionMask) * positionScale;
                var start = Avx2.GatherVector256((int*)fixedBase, bucket, 4);
                var code0 = Avx2.ShiftRightLogical(start, 16);
                var y = Avx.ConvertToVector256Single(start & fractionMask) * fractionScale + Avx2.GatherVector256(slope, bucket, 4) * t + half;
                var whole = Avx.Floor(y);
                var frac = y - whole;
                var code = code0 + Avx.ConvertToVector256Int32WithTruncation(whole);
                // Decided: inside the table's range (2^-24 ≤ v < 1) and clear of a boundary (NaN slope fails both).
                var clear = Avx.CompareGreaterThanOrEqual(frac, margin) & Avx.CompareLessThanOrEqual(frac, upper);
                var covered = Avx2.CompareGreaterThan(rel, Vector256.Create(-1)).AsSingle() & Avx.CompareLessThan(v, one);
                var positive = Avx.CompareGreaterThan(v, Vector256<float>.Zero); // false for NaN and ≤ 0: code 0
                var saturated = Avx.CompareGreaterThanOrEqual(v, one);
                code = Avx2.BlendVariable(code, maxCode, saturated.AsInt32()) & positive.AsInt32();
                var packed = Avx2.PackUnsignedSaturate(code, code); // per 128-bit lane: 4 codes twice
                var ordered = Avx2.Permute4x64(packed.AsInt64(), 0b_10_00).AsUInt16().GetLower();
                ordered.Store(d + i);
                int undecided = Avx.MoveMask(Avx.AndNot(clear & covered, positive) & Avx.CompareLessThan(v, one));
                while (undecided != 0)
                {
                    int lane = System.Numerics.BitOperations.TrailingZeroCount(undecided);
                    d[i + lane] = scalar(s[i + lane]);
                    undecided &= undecided - 1;
                }
            }
            for (; i < n; i++) d[i] = scalar(s[i]);
        }
    }
}
