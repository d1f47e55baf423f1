using System.Numerics;
using System.Runtime.CompilerServices;

namespace ImageSpace.Core.Imaging;

/// <summary>Ratio Corrected Demosaicing (RCD, Luis Sanz Rodríguez, 2017; the algorithm darktable and RawTherapee use
/// by default; described at github.com/LuisSR/RCD-Demosaicing). Written here from the published description:
/// <list type="number">
/// <item>Direction: the squared response of a 1-D high-pass filter along columns and rows, summed over three
/// positions, gives the vertical and horizontal "activity"; VH = V / (V + H) (0 = interpolate vertically).</item>
/// <item>Green at red/blue sites: each of the four neighbouring greens is corrected by the ratio of a low-pass
/// (3×3 binomial) of the mosaic at the centre to the one two pixels away in its direction, the N/S and W/E pairs are
/// blended by inverse gradients, and the vertical and horizontal results by VH (taken from the diagonal neighbours'
/// mean where that is more decided than the centre's own value).</item>
/// <item>Red/blue at blue/red sites from the diagonal colour differences, blended the same way along the two
/// diagonals (their activity from the same high-pass along the diagonals); then red and blue at green sites from the
/// cardinal colour differences with the VH weights.</item>
/// </list>
/// Own additions: a local green equilibration before everything (sensors whose two greens differ by a percent or two
/// give RCD's green step a maze pattern otherwise), and borders by mirroring the mosaic about its edge pixels (a
/// reflection about a pixel keeps the Bayer phase), so the edge rows are demosaiced by the same maths and carry no
/// coloured frame. The image is processed in square tiles with a 12-pixel halo (the depth of the dependency chain
/// below), each small enough for the L2 cache, in parallel; every step runs over whole SIMD vectors and blends the
/// result into the sites it belongs to.</summary>
public static unsafe class RcdDemosaic
{
    /// <summary>Tile side including the halo; 8 scratch planes of this size stay within a core's L2.</summary>
    internal const int S = 224;
    private const int Halo = 12;
    private const int Core = S - 2 * Halo;
    private const float Eps = 1e-5f, EpsSq = 1e-10f;

    /// <param name="toOutput">a colour matrix applied to each demosaiced pixel as the tile is stored (issue 17: one
    /// pass over the full image less than <see cref="MatrixOperator.Apply"/> afterwards, with bit-identical values)</param>
    public static RgbImage Full(BayerMosaic m, CfaNormalization n, bool equilibrateGreens = true, Color.Matrix3? toOutput = null) =>
        RunTiles(m, toOutput, Core, () => new Scratch(), (img, s, tx, ty, matrix) => Tile(m, n, img, s, tx, ty, equilibrateGreens, matrix));

    /// <summary>The frame of a tiled demosaic (this one and <see cref="LmmseDemosaic"/>): checks the mosaic, makes the
    /// output image and the optional colour matrix's coefficients, and runs <paramref name="tile"/> on every tile of
    /// <paramref name="core"/>² output pixels in parallel (at most <see cref="Parallelism.MaxDegree"/> workers), with
    /// one scratch per worker.</summary>
    internal static RgbImage RunTiles<TScratch>(BayerMosaic m, Color.Matrix3? toOutput, int core, Func<TScratch> scratch,
        Action<RgbImage, TScratch, int, int, float[]?> tile)
    {
        m.Validate();
        int w = m.Width, h = m.Height;
        if (w < 8 || h < 8) throw new InvalidDataException($"image too small to demosaic ({w}x{h})");
        var img = new RgbImage(w, h);
        float[]? matrix = toOutput is { } mx && mx != Color.Matrix3.Identity ? MatrixOperator.Coefficients(mx) : null;
        int tilesX = (w + core - 1) / core, tilesY = (h + core - 1) / core;
        int total = tilesX * tilesY, next = -1, workers = 1;
        var spare = new System.Collections.Concurrent.ConcurrentBag<TScratch>();
        // One self-scheduled pass over the tiles, not Parallel.For: the caller asks for the degree again after each
        // tile and starts another worker when it has risen, so a batch image whose neighbour finished mid-demosaic
        // gets the freed core at once (issue 17), without a barrier per row of tiles.
        void Work(bool caller)
        {
            var s = spare.TryTake(out var kept) ? kept : scratch();
            for (int t; (t = Interlocked.Increment(ref next)) < total;)
            {
                tile(img, s, t % tilesX * core, t / tilesX * core, matrix);
                if (caller) Grow();
            }
            spare.Add(s);
        }
        var helpers = new List<Task>();
        void Grow()
        {
            for (int degree = Parallelism.MaxDegree; workers < degree && Volatile.Read(ref next) < total - 1; workers++)
                helpers.Add(Task.Factory.StartNew(() => Work(false), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default));
        }
        try
        {
            Grow();
            Work(true);
        }
        finally
        {
            Interlocked.Exchange(ref next, total); // a failed tile stops the others
            Task.WaitAll(helpers);
        }
        return img;
    }

    private sealed class Scratch
    {
        public readonly float[] Cfa = new float[S * S], R = new float[S * S], G = new float[S * S], B = new float[S * S];
        public readonly float[] T1 = new float[S * S], T2 = new float[S * S], VH = new float[S * S], PQ = new float[S * S];
    }

    internal static readonly int Lanes = Vector<float>.Count;
    /// <summary>All-ones in the even (odd) lanes: selects every other pixel of a row, i.e. one CFA phase.</summary>
    private static readonly Vector<int> EvenLanes = new(Enumerable.Range(0, Vector<int>.Count).Select(i => i % 2 == 0 ? -1 : 0).ToArray());
    private static readonly Vector<int> OddLanes = ~EvenLanes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal static Vector<float> L(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] internal static void St(float* p, Vector<float> v) => Unsafe.WriteUnaligned(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static Vector<float> Abs(Vector<float> v) => Vector.Abs(v);

    /// <summary>Lanes of a vector starting at column x of row y that fall on green sites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<int> GreenLanes(int x, int y, int greenParity) => ((x + y + greenParity) & 1) == 0 ? EvenLanes : OddLanes;

    /// <summary>Column starts for vectors covering [x0, x1): the last one is moved back to end at x1 (it overlaps the
    /// previous one; every step writes only sites it does not read, so computing a pixel twice gives the same value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Next(int x, int x1) => x == x1 - Lanes ? int.MaxValue : Math.Min(x + Lanes, x1 - Lanes);

    private static int Reflect(int v, int n)
    {
        while (v < 0 || v >= n) v = v < 0 ? -v : 2 * (n - 1) - v;
        return v;
    }

    private static void Tile(BayerMosaic m, CfaNormalization norm, RgbImage img, Scratch s, int tx, int ty, bool equilibrate, float[]? matrix)
    {
        int ox = tx - Halo, oy = ty - Halo; // even, so tile-local parity is image parity
        int gPar = GreenParity(m);
        fixed (ushort* raw = m.Data)
        fixed (float* cfa = s.Cfa, R = s.R, G = s.G, B = s.B, t1 = s.T1, t2 = s.T2, vh = s.VH, pq = s.PQ)
        {
            Load(m, norm, raw, cfa, ox, oy);
            if (equilibrate) EquilibrateGreens(cfa, t1, gPar);
            new Span<float>(cfa, S * S).CopyTo(new Span<float>(R, S * S));
            new Span<float>(cfa, S * S).CopyTo(new Span<float>(G, S * S));
            new Span<float>(cfa, S * S).CopyTo(new Span<float>(B, S * S));
            Directions(cfa, t1, t2, vh);
            LowPass(cfa, t1);
            Green(cfa, t1, vh, G, gPar);
            DiagonalDirections(cfa, t1, t2, pq);
            float*[] planes = [R, G, B];
            RedBlueAtRedBlue(m, planes, G, pq, gPar);
            RedBlueAtGreen(R, G, vh, gPar);
            RedBlueAtGreen(B, G, vh, gPar);

            StoreCore(img, matrix, R, G, B, tx, ty, Halo);
        }
    }

    /// <summary>Green sites are those where (x + y) has this parity: even when the pattern starts with green (GRBG,
    /// GBRG), odd otherwise.</summary>
    internal static int GreenParity(BayerMosaic m) => m.Cfa[0] == 1 ? 0 : 1;

    /// <summary>The colour (0 red, 2 blue) of row <paramref name="y"/>'s non-green sites.</summary>
    internal static int RowColour(BayerMosaic m, int y, int gPar) => m.ColorAt((y + gPar + 1) & 1, y);

    /// <summary>Writes a tile's core (its planes at the tile's own stride <see cref="S"/>, less a halo of
    /// <paramref name="halo"/> on every side) into the image at (<paramref name="tx"/>, <paramref name="ty"/>), through
    /// the colour matrix when there is one.</summary>
    [MethodImpl(HotLoop.Options)]
    internal static void StoreCore(RgbImage img, float[]? matrix, float* R, float* G, float* B, int tx, int ty, int halo)
    {
        int core = S - 2 * halo, w = img.Width, rows = Math.Min(core, img.Height - ty), cols = Math.Min(core, w - tx);
        for (int y = 0; y < rows; y++)
        {
            long dst = (long)(ty + y) * w + tx;
            int src = (halo + y) * S + halo;
            Span<float> r = img.R.AsSpan((int)dst, cols), g = img.G.AsSpan((int)dst, cols), b = img.B.AsSpan((int)dst, cols);
            if (matrix is not null)
            {
                MatrixOperator.Apply(matrix, new Span<float>(R + src, cols), new Span<float>(G + src, cols), new Span<float>(B + src, cols), r, g, b);
                continue;
            }
            new Span<float>(R + src, cols).CopyTo(r);
            new Span<float>(G + src, cols).CopyTo(g);
            new Span<float>(B + src, cols).CopyTo(b);
        }
    }

    /// <summary>Normalised samples of the tile and its halo; outside the image the mosaic is mirrored about its edge
    /// pixels.</summary>
    [MethodImpl(HotLoop.Options)]
    internal static void Load(BayerMosaic m, CfaNormalization n, ushort* raw, float* cfa, int ox, int oy)
    {
        int w = m.Width, h = m.Height;
        float clip = n.ClipAt;
        for (int y = 0; y < S; y++)
        {
            int gy = Reflect(oy + y, h);
            int p0 = (gy & 1) << 1;
            float b0 = n.Black[p0], b1 = n.Black[p0 + 1], s0 = n.Scale[p0], s1 = n.Scale[p0 + 1];
            ushort* row = raw + (long)gy * w;
            float* dst = cfa + y * S;
            bool inside = ox >= 0 && ox + S <= w;
            for (int x = 0; x < S; x += 2) // ox is even: x is the even phase, x + 1 the odd one
            {
                int gx0 = inside ? ox + x : Reflect(ox + x, w), gx1 = inside ? ox + x + 1 : Reflect(ox + x + 1, w);
                dst[x] = MathF.Min((row[gx0] - b0) * s0, clip);
                dst[x + 1] = MathF.Min((row[gx1] - b1) * s1, clip);
            }
        }
    }

    /// <summary>Where the two green sets disagree by a small amount in a flat neighbourhood, each green moves half-way
    /// towards the other set (the disagreement is then the sensor's, not the scene's: real G1/G2 mismatches are a
    /// few percent and show as a fine maze after any directional demosaic). Edges and texture are left alone.</summary>
    internal static void EquilibrateGreens(float* c, float* tmp, int gPar)
    {
        var quarter = new Vector<float>(0.25f);
        var half = new Vector<float>(0.5f);
        var maxMismatch = new Vector<float>(0.03f);
        var maxSpread = new Vector<float>(0.1f);
        var floor = new Vector<float>(2e-3f);
        for (int y = 2; y < S - 2; y++)
            for (int x = 2; x != int.MaxValue; x = Next(x, S - 2))
            {
                float* p = c + y * S + x;
                var g = L(p);
                Vector<float> o1 = L(p - S - 1), o2 = L(p - S + 1), o3 = L(p + S - 1), o4 = L(p + S + 1);
                Vector<float> s1 = L(p - 2 * S), s2 = L(p + 2 * S), s3 = L(p - 2), s4 = L(p + 2);
                var other = quarter * (o1 + o2 + o3 + o4);
                var same = quarter * (s1 + s2 + s3 + s4);
                var d = same - other;
                var level = Vector.Max(half * (same + other), floor);
                var spread = Vector.Max(Vector.Max(o1, o2), Vector.Max(o3, o4)) - Vector.Min(Vector.Min(o1, o2), Vector.Min(o3, o4))
                           + Vector.Max(Vector.Max(s1, s2), Vector.Max(s3, s4)) - Vector.Min(Vector.Min(s1, s2), Vector.Min(s3, s4));
                var flat = Vector.LessThanOrEqual(Abs(d), maxMismatch * level) & Vector.LessThanOrEqual(spread, maxSpread * level + floor);
                var mask = flat & GreenLanes(x, y, gPar);
                St(tmp + y * S + x, Vector.ConditionalSelect(mask, g - half * d, g));
            }
        for (int y = 2; y < S - 2; y++) new Span<float>(tmp + y * S + 2, S - 4).CopyTo(new Span<float>(c + y * S + 2, S - 4));
    }

    /// <summary>VH = V / (V + H) from the squared column and row high-pass (taps 1 −3 −1 6 −1 −3 1), summed over
    /// three positions along the direction.</summary>
    private static void Directions(float* c, float* hv, float* hh, float* vh)
    {
        var three = new Vector<float>(3f);
        var six = new Vector<float>(6f);
        for (int y = 3; y < S - 3; y++)
            for (int x = 3; x != int.MaxValue; x = Next(x, S - 3))
            {
                float* p = c + y * S + x;
                var v = L(p - 3 * S) - L(p - S) - L(p + S) + L(p + 3 * S) - three * (L(p - 2 * S) + L(p + 2 * S)) + six * L(p);
                var hz = L(p - 3) - L(p - 1) - L(p + 1) + L(p + 3) - three * (L(p - 2) + L(p + 2)) + six * L(p);
                St(hv + y * S + x, v * v);
                St(hh + y * S + x, hz * hz);
            }
        var epsSq = new Vector<float>(EpsSq);
        for (int y = 4; y < S - 4; y++)
            for (int x = 4; x != int.MaxValue; x = Next(x, S - 4))
            {
                int i = y * S + x;
                var v = Vector.Max(epsSq, L(hv + i - S) + L(hv + i) + L(hv + i + S));
                var hz = Vector.Max(epsSq, L(hh + i - 1) + L(hh + i) + L(hh + i + 1));
                St(vh + i, v / (v + hz));
            }
    }

    /// <summary>3×3 binomial low-pass of the raw mosaic (mixes all three colours; only its ratios between same-colour
    /// sites are used).</summary>
    private static void LowPass(float* c, float* lpf)
    {
        Vector<float> k0 = new(0.25f), k1 = new(0.125f), k2 = new(0.0625f);
        for (int y = 1; y < S - 1; y++)
            for (int x = 1; x != int.MaxValue; x = Next(x, S - 1))
            {
                float* p = c + y * S + x;
                St(lpf + y * S + x, k0 * L(p) + k1 * (L(p - S) + L(p + S) + L(p - 1) + L(p + 1))
                                  + k2 * (L(p - S - 1) + L(p - S + 1) + L(p + S - 1) + L(p + S + 1)));
            }
    }

    /// <summary>VH refined: the mean of the four diagonal neighbours where it is further from undecided (0.5) than the
    /// centre's own value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Refined(float* d, int i)
    {
        var half = new Vector<float>(0.5f);
        var centre = L(d + i);
        var around = new Vector<float>(0.25f) * (L(d + i - S - 1) + L(d + i - S + 1) + L(d + i + S - 1) + L(d + i + S + 1));
        return Vector.ConditionalSelect(Vector.LessThan(Abs(half - centre), Abs(half - around)), around, centre);
    }

    private static void Green(float* c, float* lpf, float* vh, float* G, int gPar)
    {
        var eps = new Vector<float>(Eps);
        var one = Vector<float>.One;
        for (int y = 5; y < S - 5; y++)
            for (int x = 5; x != int.MaxValue; x = Next(x, S - 5))
            {
                int i = y * S + x;
                float* p = c + i;
                var cf = L(p);
                Vector<float> n1 = L(p - S), n2 = L(p - 2 * S), n3 = L(p - 3 * S), n4 = L(p - 4 * S);
                Vector<float> s1 = L(p + S), s2 = L(p + 2 * S), s3 = L(p + 3 * S), s4 = L(p + 4 * S);
                Vector<float> w1 = L(p - 1), w2 = L(p - 2), w3 = L(p - 3), w4 = L(p - 4);
                Vector<float> e1 = L(p + 1), e2 = L(p + 2), e3 = L(p + 3), e4 = L(p + 4);
                var ns = Abs(n1 - s1);
                var we = Abs(w1 - e1);
                var nGrad = eps + ns + Abs(cf - n2) + Abs(n1 - n3) + Abs(n2 - n4);
                var sGrad = eps + ns + Abs(cf - s2) + Abs(s1 - s3) + Abs(s2 - s4);
                var wGrad = eps + we + Abs(cf - w2) + Abs(w1 - w3) + Abs(w2 - w4);
                var eGrad = eps + we + Abs(cf - e2) + Abs(e1 - e3) + Abs(e2 - e4);

                var lc = L(lpf + i);
                var nEst = n1 * (one + Ratio(lc, L(lpf + i - 2 * S)));
                var sEst = s1 * (one + Ratio(lc, L(lpf + i + 2 * S)));
                var wEst = w1 * (one + Ratio(lc, L(lpf + i - 2)));
                var eEst = e1 * (one + Ratio(lc, L(lpf + i + 2)));

                var vEst = (sGrad * nEst + nGrad * sEst) / (nGrad + sGrad);
                var hEst = (wGrad * eEst + eGrad * wEst) / (eGrad + wGrad);
                var disc = Refined(vh, i);
                var g = vEst + disc * (hEst - vEst);
                St(G + i, Vector.ConditionalSelect(GreenLanes(x, y, gPar), cf, g));
            }
    }

    /// <summary>(a − b) / (a + b), the ratio correction's relative step; bounded to ±1 so that negative noise around
    /// black (kept by this pipeline, clipped at 0 by RCD's authors) cannot make it explode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Ratio(Vector<float> a, Vector<float> b)
    {
        var r = (a - b) / (new Vector<float>(Eps) + a + b);
        return Vector.Min(Vector.Max(r, -Vector<float>.One), Vector<float>.One);
    }

    /// <summary>PQ = P / (P + Q): the high-pass activity along the NW–SE (P) and NE–SW (Q) diagonals.</summary>
    private static void DiagonalDirections(float* c, float* hp, float* hq, float* pq)
    {
        var three = new Vector<float>(3f);
        var six = new Vector<float>(6f);
        int d1 = S + 1, d2 = S - 1;
        for (int y = 3; y < S - 3; y++)
            for (int x = 3; x != int.MaxValue; x = Next(x, S - 3))
            {
                float* p = c + y * S + x;
                var a = L(p - 3 * d1) - L(p - d1) - L(p + d1) + L(p + 3 * d1) - three * (L(p - 2 * d1) + L(p + 2 * d1)) + six * L(p);
                var b = L(p - 3 * d2) - L(p - d2) - L(p + d2) + L(p + 3 * d2) - three * (L(p - 2 * d2) + L(p + 2 * d2)) + six * L(p);
                St(hp + y * S + x, a * a);
                St(hq + y * S + x, b * b);
            }
        var epsSq = new Vector<float>(EpsSq);
        for (int y = 4; y < S - 4; y++)
            for (int x = 4; x != int.MaxValue; x = Next(x, S - 4))
            {
                int i = y * S + x;
                var pStat = Vector.Max(epsSq, L(hp + i - d1) + L(hp + i) + L(hp + i + d1));
                var qStat = Vector.Max(epsSq, L(hq + i - d2) + L(hq + i) + L(hq + i + d2));
                St(pq + i, pStat / (pStat + qStat));
            }
    }

    /// <summary>Blue at red sites and red at blue sites from the diagonal colour differences.</summary>
    private static void RedBlueAtRedBlue(BayerMosaic m, float*[] planes, float* G, float* pq, int gPar)
    {
        var eps = new Vector<float>(Eps);
        int d1 = S + 1, d2 = S - 1;
        for (int y = 7; y < S - 7; y++)
        {
            int native = RowColour(m, y, gPar);
            float* C = planes[2 - native];
            for (int x = 7; x != int.MaxValue; x = Next(x, S - 7))
            {
                int i = y * S + x;
                float* q = C + i;
                float* g = G + i;
                var gc = L(g);
                Vector<float> nw = L(q - d1), se = L(q + d1), ne = L(q - d2), sw = L(q + d2);
                var nwse = Abs(nw - se);
                var nesw = Abs(ne - sw);
                var nwGrad = eps + nwse + Abs(nw - L(q - 3 * d1)) + Abs(gc - L(g - 2 * d1));
                var seGrad = eps + nwse + Abs(se - L(q + 3 * d1)) + Abs(gc - L(g + 2 * d1));
                var neGrad = eps + nesw + Abs(ne - L(q - 3 * d2)) + Abs(gc - L(g - 2 * d2));
                var swGrad = eps + nesw + Abs(sw - L(q + 3 * d2)) + Abs(gc - L(g + 2 * d2));
                var nwEst = nw - L(g - d1);
                var seEst = se - L(g + d1);
                var neEst = ne - L(g - d2);
                var swEst = sw - L(g + d2);
                var pEst = (nwGrad * seEst + seGrad * nwEst) / (nwGrad + seGrad);
                var qEst = (neGrad * swEst + swGrad * neEst) / (neGrad + swGrad);
                var disc = Refined(pq, i);
                var est = gc + pEst + disc * (qEst - pEst);
                St(q, Vector.ConditionalSelect(GreenLanes(x, y, gPar), L(q), est));
            }
        }
    }

    /// <summary>Red (or blue) at green sites from the cardinal colour differences, weighted by VH.</summary>
    private static void RedBlueAtGreen(float* C, float* G, float* vh, int gPar)
    {
        var eps = new Vector<float>(Eps);
        for (int y = 10; y < S - 10; y++)
            for (int x = 10; x != int.MaxValue; x = Next(x, S - 10))
            {
                int i = y * S + x;
                float* q = C + i;
                float* g = G + i;
                var gc = L(g);
                Vector<float> n = L(q - S), s = L(q + S), w = L(q - 1), e = L(q + 1);
                var sn = Abs(n - s);
                var ew = Abs(w - e);
                var nGrad = eps + Abs(gc - L(g - 2 * S)) + sn + Abs(n - L(q - 3 * S));
                var sGrad = eps + Abs(gc - L(g + 2 * S)) + sn + Abs(s - L(q + 3 * S));
                var wGrad = eps + Abs(gc - L(g - 2)) + ew + Abs(w - L(q - 3));
                var eGrad = eps + Abs(gc - L(g + 2)) + ew + Abs(e - L(q + 3));
                var nEst = n - L(g - S);
                var sEst = s - L(g + S);
                var wEst = w - L(g - 1);
                var eEst = e - L(g + 1);
                var vEst = (nGrad * sEst + sGrad * nEst) / (nGrad + sGrad);
                var hEst = (eGrad * wEst + wGrad * eEst) / (eGrad + wGrad);
                var disc = Refined(vh, i);
                var est = gc + vEst + disc * (hEst - vEst);
                St(q, Vector.ConditionalSelect(GreenLanes(x, y, gPar), est, L(q)));
            }
    }
}
