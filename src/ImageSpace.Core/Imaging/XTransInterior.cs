using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ImageSpace.Core.Imaging;

public static partial class XTransDemosaic
{
    /// <summary>The interior's pixels eight at a time: the same arithmetic as the per-pixel steps, in the same order,
    /// so the result is bit for bit theirs (a test holds them to it). Eight pixels of one row six columns apart share
    /// their tile position, so they share every neighbour offset, direction and weight of the 6×6 pattern: their
    /// samples are gathered (AVX2), and what the per-pixel code looks up per pixel (colour, tables, bounds) is looked up
    /// once per group. The interior is every pixel at least <see cref="Margin"/> from each edge, where no look-up leaves
    /// the image; the frame around it stays per pixel (issue 17: the X-Trans demosaic cost ≈ 8× RCD).</summary>
    private sealed unsafe class Interior
    {
        /// <summary>The farthest any step looks: own colour along a line in the green step, colour sites in chroma's.</summary>
        private const int Margin = ChromaReach;
        private const int Lanes = 8, GroupWidth = 6 * Lanes;
        private static readonly Vector256<int> LaneOffsets = Vector256.Create(0, 6, 12, 18, 24, 30, 36, 42);

        private readonly int _w, _h, _groups;
        private readonly int[] _pattern;
        private readonly GreenLine[][] _green;
        private readonly ChromaPlan[][] _chroma;
        private readonly int[] _around;

        /// <summary>One direction of the green step at one tile position, with its image offsets.</summary>
        private readonly record struct GreenLine(int Kind, int A, int B, float Fa, float Fb, float Fab, float Length,
            bool Detail, int C, int E, float Fc, float Fe, float Fce, float DetailLength);

        private const int Skip = 0, FallbackA = 1, FallbackB = 2, Full = 3;

        private sealed record ChromaPlan((int off, float dw)[] Window, float WindowWeightSum, (int a, int b, float length, float fa, float fb, float eps)[] Lines);

        private Interior(int w, int h, int[] pattern, GreenLine[][] green, ChromaPlan[][] chroma, bool enabled)
        {
            _w = w; _h = h; _pattern = pattern; _green = green; _chroma = chroma;
            _groups = enabled && Avx2.IsSupported ? Math.Max(0, (w - 2 * Margin) / GroupWidth) : 0;
            _around = [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1]; // RefineGreen's order: rows, then columns
        }

        public static Interior For(XTransMosaic m, (int a, int b, int c, int e)[][] lines, (int dx, int dy, float w)[][][] table,
            (int a, int b, float length, float fa, float fb)[][][] colourLines, bool enabled)
        {
            int w = m.Width;
            var green = new GreenLine[36][];
            var chroma = new ChromaPlan[36][];
            for (int p = 0; p < 36; p++)
            {
                green[p] = new GreenLine[Directions.Length];
                for (int k = 0; k < Directions.Length; k++)
                {
                    var (dx, dy) = Directions[k];
                    int step = dy * w + dx;
                    var (a, b, c, e) = lines[p][k];
                    int kind = a == 0 && b == 0 ? Skip : b == 0 ? FallbackA : a == 0 ? FallbackB : Full;
                    float diag = dx != 0 && dy != 0 ? 1.41421356f : 1f;
                    green[p][k] = new GreenLine(kind, a * step, -b * step, a, b, a + b, (a + b) * diag,
                        c > 0 && e > 0, c * step, -e * step, c, e, c + e, (c + e) * diag);
                }
                chroma[p] = new ChromaPlan[3];
                for (int c = 0; c <= 2; c += 2)
                {
                    var window = table[p][c].Select(t => (t.dy * w + t.dx, t.w)).ToArray();
                    float dsum = 0;
                    foreach (var (_, dw) in window) dsum += dw; // summed in the per-pixel code's order
                    var cl = colourLines[p][c].Select((l, k) => (l, k)).Where(t => t.l.a != 0).Select(t =>
                    {
                        var (dx, dy) = Directions[t.k];
                        return (t.l.a * (dy * w + dx), -t.l.b * (dy * w + dx), t.l.length, t.l.fa, t.l.fb, Eps * t.l.length);
                    }).ToArray();
                    chroma[p][c] = new ChromaPlan(window, dsum, cl);
                }
            }
            return new Interior(m.Width, m.Height, m.Pattern, green, chroma, enabled);
        }

        /// <summary>Row <paramref name="y"/>: the interior's groups by <paramref name="groups"/>, the rest of the row
        /// (its ends, or all of it near the top and bottom) by <paramref name="perPixel"/>(x0, x1).</summary>
        public void Split(int y, Action<int, int> perPixel, Action groups)
        {
            if (_groups == 0 || y < Margin || y >= _h - Margin) { perPixel(0, _w); return; }
            perPixel(0, Margin);
            groups();
            perPixel(Margin + _groups * GroupWidth, _w);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> At(float* p) => Avx2.GatherVector256(p, LaneOffsets, 4);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Put(float* p, Vector256<float> value)
        {
            for (int l = 0; l < Lanes; l++) p[6 * l] = value.GetElement(l);
        }

        /// <summary>Groups of <see cref="GreenByDirection"/> in row y.</summary>
        public void Green(float[] v, float[] G, int y)
        {
            var eps = Vector256.Create(Eps);
            fixed (float* pv = v, pG = G)
                for (int q = 0; q < 6; q++)
                {
                    int p = y % 6 * 6 + q;
                    bool isGreen = _pattern[p] == 1;
                    var dirs = _green[p];
                    for (int g = 0; g < _groups; g++)
                    {
                        int i = y * _w + Margin + q + g * GroupWidth;
                        if (isGreen) { Put(pG + i, At(pv + i)); continue; }
                        Vector256<float> sum = Vector256<float>.Zero, wsum = sum, fallback = sum, xc = At(pv + i);
                        int fallbackCount = 0;
                        bool anyFull = false;
                        foreach (var d in dirs)
                        {
                            if (d.Kind == Skip) continue;
                            if (d.Kind != Full) { fallback += At(pv + i + (d.Kind == FallbackA ? d.A : d.B)); fallbackCount++; continue; }
                            anyFull = true;
                            var ga = At(pv + i + d.A);
                            var gb = At(pv + i + d.B);
                            var est = (Vector256.Create(d.Fb) * ga + Vector256.Create(d.Fa) * gb) / Vector256.Create(d.Fab);
                            var grad = Vector256.Abs(ga - gb) / Vector256.Create(d.Length);
                            if (d.Detail)
                            {
                                var xa = At(pv + i + d.C);
                                var xb = At(pv + i + d.E);
                                var xl = (Vector256.Create(d.Fe) * xa + Vector256.Create(d.Fc) * xb) / Vector256.Create(d.Fce);
                                var lap = xc - xl;
                                est += Vector256.Create(Detail) * lap;
                                grad += Vector256.Create(DetailInGradient) * Vector256.Abs(lap) / Vector256.Create(d.DetailLength);
                                var lo = Vector256.Min(ga, gb);
                                var hi = Vector256.Max(ga, gb);
                                est = Vector256.ConditionalSelect(Vector256.LessThan(est, lo), lo, Vector256.ConditionalSelect(Vector256.GreaterThan(est, hi), hi, est));
                            }
                            grad += eps;
                            var weight = Vector256<float>.One / (Vector256.Create(d.Length) * grad * grad);
                            sum += weight * est;
                            wsum += weight;
                        }
                        Put(pG + i, anyFull ? sum / wsum : fallbackCount > 0 ? fallback / Vector256.Create((float)fallbackCount) : xc);
                    }
                }
        }

        /// <summary>Groups of <see cref="XTransDemosaic.Chroma"/> in row y.</summary>
        public void Chroma(float[] v, float[] G, float[] diff, float[] R, float[] B, int y)
        {
            var eps = Vector256.Create(Eps);
            var dd = stackalloc Vector256<float>[(2 * ChromaRadius + 1) * (2 * ChromaRadius + 1)];
            fixed (float* pv = v, pG = G, pd = diff, pR = R, pB = B)
                for (int q = 0; q < 6; q++)
                {
                    int p = y % 6 * 6 + q, own = _pattern[p];
                    for (int g = 0; g < _groups; g++)
                    {
                        int i = y * _w + Margin + q + g * GroupWidth;
                        var gi = At(pG + i);
                        for (int c = 0; c <= 2; c += 2)
                        {
                            float* dst = (c == 0 ? pR : pB) + i;
                            if (own == c) { Put(dst, At(pv + i)); continue; }
                            var plan = _chroma[p][c];
                            Vector256<float> sum = Vector256<float>.Zero, wsum = sum;
                            int n = 0;
                            foreach (var (off, dw) in plan.Window)
                            {
                                var dj = At(pd + i + off);
                                var weight = Vector256.Create(dw) / (eps + Vector256.Abs(At(pG + i + off) - gi));
                                sum += weight * dj;
                                wsum += weight;
                                dd[n++] = dj;
                            }
                            var d = sum / wsum;
                            var spread = Vector256<float>.Zero;
                            for (int k = 0; k < n; k++) spread += Vector256.Create(plan.Window[k].dw) * Vector256.Abs(dd[k] - d);
                            spread = spread / Vector256.Create(plan.WindowWeightSum) + eps;
                            var cw = Vector256.Create(WindowWeight) / (spread * spread);
                            var cs = cw * d;
                            foreach (var (a, b, length, fa, fb, lengthEps) in plan.Lines)
                            {
                                var da = At(pd + i + a);
                                var db = At(pd + i + b);
                                var qq = Vector256.Abs(da - db) + Vector256.Abs(At(pG + i + a) - gi) + Vector256.Abs(At(pG + i + b) - gi) + Vector256.Create(lengthEps);
                                var weight = Vector256.Create(length) / (qq * qq);
                                cs += weight * (Vector256.Create(fa) * da + Vector256.Create(fb) * db);
                                cw += weight;
                            }
                            Put(dst, gi + cs / cw);
                        }
                    }
                }
        }

        /// <summary>Groups of <see cref="RefineGreen"/> in row y.</summary>
        public void Refine(float[] v, float[] G, float[] R, float[] B, float[] refined, int y)
        {
            var eps = Vector256.Create(Eps);
            var wt = stackalloc Vector256<float>[8];
            var dc = stackalloc Vector256<float>[8];
            fixed (float* pv = v, pG = G, pR = R, pB = B, pr = refined)
                for (int q = 0; q < 6; q++)
                {
                    int p = y % 6 * 6 + q, own = _pattern[p];
                    float* C = own == 0 ? pR : pB;
                    for (int g = 0; g < _groups; g++)
                    {
                        int i = y * _w + Margin + q + g * GroupWidth;
                        var gi = At(pG + i);
                        if (own == 1) { Put(pr + i, gi); continue; }
                        Vector256<float> sum = Vector256<float>.Zero, wsum = sum;
                        for (int k = 0; k < 8; k++)
                        {
                            int j = i + _around[k];
                            var Gj = At(pG + j);
                            var e = eps + Vector256.Abs(Gj - gi);
                            var weight = Vector256<float>.One / (e * e);
                            wt[k] = weight;
                            dc[k] = At(C + j) - Gj;
                            sum += weight * dc[k];
                            wsum += weight;
                        }
                        var k0 = sum / wsum;
                        var spread = Vector256<float>.Zero;
                        for (int k = 0; k < 8; k++) spread += wt[k] * Vector256.Abs(dc[k] - k0);
                        spread /= wsum * (Vector256.Max(gi, Vector256<float>.Zero) + Vector256.Create(1e-3f));
                        var share = Vector256.Create(RefineShare * RefineSpread * RefineSpread) / (Vector256.Create(RefineSpread * RefineSpread) + spread * spread);
                        Put(pr + i, gi + share * (At(pv + i) - k0 - gi));
                    }
                }
        }
    }
}
