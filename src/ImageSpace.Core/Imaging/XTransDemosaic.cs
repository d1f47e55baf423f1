using System.Runtime.CompilerServices;

namespace ImageSpace.Core.Imaging;

/// <summary>A Fujifilm X-Trans mosaic as unpacked by LibRaw (visible area, not black-subtracted).</summary>
/// <param name="Pattern">Colour (0 R, 1 G, 2 B) of the 36 positions of the 6×6 tile, row-major.</param>
/// <param name="Black">Black level per tile position.</param>
public sealed record XTransMosaic(int Width, int Height, ushort[] Data, int[] Pattern, float[] Black, float White)
{
    public int ColorAt(int x, int y) => Pattern[y % 6 * 6 + x % 6];

    public void Validate()
    {
        if (Data.Length < (long)Width * Height) throw new InvalidDataException("mosaic shorter than its size");
        if (Pattern.Length != 36 || Pattern.Any(c => c is < 0 or > 2) || Pattern.Count(c => c == 1) < 12 ||
            Pattern.Count(c => c == 0) < 4 || Pattern.Count(c => c == 2) < 4)
            throw new InvalidDataException($"not an X-Trans-like 6x6 pattern: [{string.Join(",", Pattern)}]");
        if (Black.Length != 36 || Black.Any(b => b >= White)) throw new InvalidDataException($"black level {Black.Max()} not below white level {White}");
    }
}

/// <summary>X-Trans demosaic in three steps, for any 6×6 pattern whose greens reach every pixel within three
/// steps along some direction (true of X-Trans: 20 of 36 sites are green). All three work on the square roots of the
/// samples (<see cref="Encode"/>), squared back at the end: an error is then weighed roughly as the eye and an sRGB
/// encoding weigh it (the same ramp of a saturated red into a dark ground interpolated linearly leaks far more
/// red into the dark side, where every error is magnified), and interpolating colour differences of roots behaves
/// more like interpolating colour ratios (bench <c>demosaic</c>: +0.25 to +2.6 dB on every X-Trans image, and the
/// soft-edged saturated scene where LibRaw's Markesteijn was ahead is now ours).
/// <list type="number">
/// <item>Green at red/blue sites: along each of the four directions (rows, columns, both diagonals) a linear estimate
/// from the nearest green on either side, plus half the own colour's deviation from its linear interpolation along the
/// same line (Hamilton–Adams' correction, generalised to X-Trans' uneven spacing), clamped between the two greens.
/// The directions are blended by inverse squared gradient (green difference plus that deviation), so an edge is
/// followed, not crossed.</item>
/// <item>Red and blue everywhere else from the colour differences (red − green, blue − green), added to the pixel's
/// green. Five candidates are blended: the sites of that colour within 3 pixels, weighted by inverse squared distance
/// and by green similarity, and, along each of the four directions, the linear interpolation between the nearest site
/// of that colour on either side (within 6). Each candidate is weighted by the inverse square of its own spread (the
/// window's mean deviation from its average; along a line, the difference between its two ends plus their green
/// difference to this pixel), so an edge that only red or blue shows (a saturated red patch on a dark ground: green is
/// flat on both sides, so green similarity cannot see it) is interpolated along, not across — the job Markesteijn's
/// homogeneity maps do in LibRaw's X-Trans code, for a fraction of their cost.</item>
/// <item>One refinement of green at red/blue sites from the interpolated colour differences of the 8 neighbours
/// (own sample − their edge-aware average; the colour difference varies more slowly than either colour, the premise of
/// the iterative colour-difference demosaics), mixed in by at most <see cref="RefineShare"/> and less where those
/// differences disagree relative to the local level (dark, grainy or saturated texture, where the premise fails);
/// red and blue follow the green change, so their colour differences are kept.</item>
/// </list>
/// Every neighbour look-up is bounds-checked, so the edge pixels are interpolated by the same rules from the samples
/// that exist (no coloured frame). Parallel by rows; the interior eight pixels at a time (see Interior). Bench <c>demosaic</c> compares it with LibRaw's
/// Markesteijn passes.</summary>
public static partial class XTransDemosaic
{
    /// <summary>Window radius of the red/blue step, and the floor of the edge-aware weights (values are 0..1). Chosen
    /// on the demosaic bench: a wide window keeps false colour down (X-Trans has only 8 of each per 36 sites), a small
    /// floor follows edges closely.</summary>
    private const int ChromaRadius = 3;
    /// <summary>Reach of the directional colour-difference candidates (X-Trans has a red and a blue site within 6 along
    /// rows and columns; the long reach is what follows a red edge, measured on the bench's karnehen chart photo).</summary>
    private const int ChromaReach = 6;
    /// <summary>Weight of the window candidate against the directional ones: the window wins on smooth areas and
    /// textures, the lines only where they are much more consistent (bench: 8 keeps the chart render's lead and wins
    /// the red patch edges).</summary>
    private const float WindowWeight = 8f;
    /// <summary>Largest share of the refined green (bench: 0.4; more helps the photos of objects, hurts the grainy
    /// film positive), and the relative disagreement of the neighbours' colour differences at which that share halves
    /// (0.1 on square roots: 0.05 gave 0.1–0.2 dB less on the photos, 0.2 lost the soft-edged test scene's margin).</summary>
    private const float RefineShare = 0.4f, RefineSpread = 0.1f;
    private const float Eps = 1e-3f;
    /// <summary>Share of the own colour's deviation from its line added to the green estimate (Hamilton–Adams use ½),
    /// and the weight of that deviation in the direction's gradient.</summary>
    private const float Detail = 0.5f, DetailInGradient = 4f;
    private static readonly (int dx, int dy)[] Directions = [(1, 0), (0, 1), (1, 1), (1, -1)];

    /// <param name="white">Saturation level of the raw samples.</param>
    /// <param name="multipliers">White-balance gain per colour (R, G, B).</param>
    /// <param name="clip">Level the normalised samples are clipped at (1 = the least-amplified channel's saturation;
    /// +∞ keeps everything).</param>
    public static RgbImage Full(XTransMosaic m, float white, IReadOnlyList<float> multipliers, float clip) => Full(m, white, multipliers, clip, groups: true);

    /// <param name="groups">false: every pixel by the per-pixel steps (the reference the groups are tested against)</param>
    internal static RgbImage Full(XTransMosaic m, float white, IReadOnlyList<float> multipliers, float clip, bool groups)
    {
        m.Validate();
        int w = m.Width, h = m.Height;
        if (w < 12 || h < 12) throw new InvalidDataException($"image too small to demosaic ({w}x{h})");
        var scale = new float[36];
        for (int p = 0; p < 36; p++) scale[p] = multipliers[m.Pattern[p]] / (white - m.Black[p]);
        var chromaTable = Neighbours(m.Pattern, ChromaRadius);
        var colourLines = ColourLines(m.Pattern);

        var img = new RgbImage(w, h);
        float[] v = LargeArrayPool<float>.Rent(w * h), G = img.G, diff = img.R; // R's plane holds the differences until the last step
        try
        {
            // The cheap passes go phase by phase (every sixth column shares a tile position): no division per pixel.
            Rows(h, y =>
            {
                for (int q = 0; q < 6; q++)
                {
                    int p = y % 6 * 6 + q;
                    float black = m.Black[p], s = scale[p];
                    for (int i = y * w + q, end = (y + 1) * w; i < end; i += 6) v[i] = Encode(MathF.Min((m.Data[i] - black) * s, clip));
                }
            });
            var lines = Lines(m.Pattern);
            var interior = Interior.For(m, lines, chromaTable, colourLines, groups);
            Rows(h, y => interior.Split(y, (x0, x1) => GreenByDirection(m, v, G, lines, y, x0, x1), () => interior.Green(v, G, y)));
            Rows(h, y => Differences(m, v, G, diff, y));
            float[] red = LargeArrayPool<float>.Rent(w * h);
            try
            {
                Rows(h, y => interior.Split(y, (x0, x1) => Chroma(m, v, G, diff, red, img.B, chromaTable, colourLines, y, x0, x1),
                    () => interior.Chroma(v, G, diff, red, img.B, y)));
                float[] refined = diff; // the differences are no longer needed
                Rows(h, y => interior.Split(y, (x0, x1) => RefineGreen(m, v, G, red, img.B, refined, y, x0, x1),
                    () => interior.Refine(v, G, red, img.B, refined, y)));
                Rows(h, y => FollowGreen(m, G, red, img.B, refined, img.R, y)); // img.R is refined: read before written
            }
            finally { LargeArrayPool<float>.Return(red); }
        }
        finally { LargeArrayPool<float>.Return(v); }
        return img;
    }

    /// <summary>The working domain: signed square root (a sample below black stays below). Measured on the bench and
    /// the soft-edged saturated test scene: exponent 0.5 beat 0.4, 0.45 and the sRGB curve (within 0.1 dB), and the
    /// square root costs one instruction.</summary>
    private static float Encode(float x) => MathF.CopySign(MathF.Sqrt(MathF.Abs(x)), x);

    private static float Decode(float x) => x * MathF.Abs(x);

    private static void Rows(int h, Action<int> row) => Parallel.For(0, h, Parallelism.Options, row);

    /// <summary>Per tile position and colour: offsets of the sites of that colour within the window, with their
    /// distance weight.</summary>
    private static (int dx, int dy, float w)[][][] Neighbours(int[] pattern, int radius)
    {
        var table = new (int, int, float)[36][][];
        for (int p = 0; p < 36; p++)
        {
            int px = p % 6, py = p / 6;
            table[p] = new (int, int, float)[3][];
            for (int c = 0; c < 3; c++)
            {
                var list = new List<(int, int, float)>();
                for (int r = radius; list.Count < 3 && r <= 4; r++)
                {
                    list.Clear();
                    for (int dy = -r; dy <= r; dy++)
                        for (int dx = -r; dx <= r; dx++)
                            if ((dx != 0 || dy != 0) && pattern[(py + dy + 6) % 6 * 6 + (px + dx + 6) % 6] == c)
                                list.Add((dx, dy, 1f / (dx * dx + dy * dy)));
                }
                table[p][c] = list.ToArray();
            }
        }
        return table;
    }

    /// <summary>Per tile position, colour and direction: steps to the nearest site of that colour forwards and
    /// backwards (within <see cref="ChromaReach"/>; both 0 where either is missing), the line's length, and the linear
    /// interpolation's weights of the forward and backward site.</summary>
    private static (int a, int b, float length, float fa, float fb)[][][] ColourLines(int[] pattern)
    {
        int Nearest(int px, int py, int dx, int dy, int colour)
        {
            for (int t = 1; t <= ChromaReach; t++)
                if (pattern[(py + t * dy + 60) % 6 * 6 + (px + t * dx + 60) % 6] == colour) return t;
            return 0;
        }
        var table = new (int, int, float, float, float)[36][][];
        for (int p = 0; p < 36; p++)
        {
            int px = p % 6, py = p / 6;
            table[p] = new (int, int, float, float, float)[3][];
            for (int c = 0; c < 3; c++)
                table[p][c] = Directions.Select(d =>
                {
                    int a = Nearest(px, py, d.dx, d.dy, c), b = Nearest(px, py, -d.dx, -d.dy, c);
                    if (a == 0 || b == 0) return (0, 0, 0f, 0f, 0f);
                    return (a, b, (a + b) * (d.dx != 0 && d.dy != 0 ? 1.41421356f : 1f), b / (float)(a + b), a / (float)(a + b));
                }).ToArray();
        }
        return table;
    }

    /// <summary>Per tile position and direction: steps to the nearest green forwards and backwards (within 3) and to
    /// the nearest site of the position's own colour forwards and backwards (within 6); 0 where there is none. The
    /// pattern repeats, so this is all the colour look-up the green step needs (image bounds are checked per pixel).</summary>
    private static (int a, int b, int c, int e)[][] Lines(int[] pattern)
    {
        int Nearest(int px, int py, int dx, int dy, int colour, int reach)
        {
            for (int t = 1; t <= reach; t++)
                if (pattern[(py + t * dy + 60) % 6 * 6 + (px + t * dx + 60) % 6] == colour) return t;
            return 0;
        }
        var table = new (int, int, int, int)[36][];
        for (int p = 0; p < 36; p++)
        {
            int px = p % 6, py = p / 6, own = pattern[p];
            table[p] = Directions.Select(d => (Nearest(px, py, d.dx, d.dy, 1, 3), Nearest(px, py, -d.dx, -d.dy, 1, 3),
                                               Nearest(px, py, d.dx, d.dy, own, 6), Nearest(px, py, -d.dx, -d.dy, own, 6))).ToArray();
        }
        return table;
    }

    [MethodImpl(HotLoop.Options)]
    private static void GreenByDirection(XTransMosaic m, float[] v, float[] G, (int a, int b, int c, int e)[][] lines, int y, int x0, int x1)
    {
        int w = m.Width, h = m.Height;
        for (int x = x0, i = y * w + x0; x < x1; x++, i++)
        {
            int own = m.ColorAt(x, y);
            if (own == 1) { G[i] = v[i]; continue; }
            float sum = 0, wsum = 0, fallback = 0;
            int fallbackCount = 0;
            float xc = v[i];
            var line = lines[y % 6 * 6 + x % 6];
            for (int k = 0; k < Directions.Length; k++)
            {
                var (dx, dy) = Directions[k];
                int step = dy * w + dx;
                int a = Inside(x, y, line[k].a, dx, dy), b = Inside(x, y, line[k].b, -dx, -dy);
                if (a == 0 && b == 0) continue;
                float ga = a > 0 ? v[i + a * step] : 0, gb = b > 0 ? v[i - b * step] : 0;
                if (a == 0 || b == 0) { fallback += a > 0 ? ga : gb; fallbackCount++; continue; }
                float diag = dx != 0 && dy != 0 ? 1.41421356f : 1f;
                float length = (a + b) * diag;
                float est = (b * ga + a * gb) / (a + b);
                float grad = MathF.Abs(ga - gb) / length;
                // Colour-difference correction (Hamilton–Adams generalised to uneven spacing): the own colour's
                // deviation from its linear interpolation along the line carries the detail green lacks here.
                int c = Inside(x, y, line[k].c, dx, dy), e = Inside(x, y, line[k].e, -dx, -dy);
                if (c > 0 && e > 0)
                {
                    float xa = v[i + c * step], xb = v[i - e * step];
                    float xl = (e * xa + c * xb) / (c + e);
                    float lap = xc - xl;
                    est += Detail * lap;
                    grad += DetailInGradient * MathF.Abs(lap) / ((c + e) * diag);
                    est = Math.Clamp(est, MathF.Min(ga, gb), MathF.Max(ga, gb)); // no overshoot beyond the greens it lies between
                }
                grad += Eps;
                float weight = 1 / (length * grad * grad);
                sum += weight * est;
                wsum += weight;
            }
            G[i] = wsum > 0 ? sum / wsum : fallbackCount > 0 ? fallback / fallbackCount : v[i];
        }

        int Inside(int x0, int y0, int t, int dx, int dy)
        {
            int xx = x0 + t * dx, yy = y0 + t * dy;
            return t > 0 && xx >= 0 && yy >= 0 && xx < w && yy < h ? t : 0;
        }
    }

    /// <summary>own sample − green at red and blue sites.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Differences(XTransMosaic m, float[] v, float[] G, float[] diff, int y)
    {
        int w = m.Width;
        for (int q = 0; q < 6; q++)
        {
            bool green = m.Pattern[y % 6 * 6 + q] == 1;
            for (int i = y * w + q, end = (y + 1) * w; i < end; i += 6) diff[i] = green ? 0 : v[i] - G[i];
        }
    }

    [MethodImpl(HotLoop.Options)]
    private static void Chroma(XTransMosaic m, float[] v, float[] G, float[] diff, float[] R, float[] B,
                               (int dx, int dy, float w)[][][] table, (int a, int b, float length, float fa, float fb)[][][] colourLines, int y, int x0, int x1)
    {
        int w = m.Width, h = m.Height;
        Span<float> wd = stackalloc float[(2 * ChromaRadius + 1) * (2 * ChromaRadius + 1)], dd = stackalloc float[wd.Length];
        for (int x = x0, i = y * w + x0; x < x1; x++, i++)
        {
            int own = m.ColorAt(x, y), p = y % 6 * 6 + x % 6;
            float g = G[i];
            bool inside = x >= ChromaReach && y >= ChromaReach && x < w - ChromaReach && y < h - ChromaReach; // no bounds checks needed
            for (int c = 0; c <= 2; c += 2)
            {
                float value;
                if (own == c) value = v[i];
                else
                {
                    // Window candidate: edge-aware average, and its spread (distance-weighted mean deviation).
                    float sum = 0, wsum = 0;
                    int n = 0;
                    foreach (var (dx, dy, dw) in table[p][c])
                    {
                        if (!inside && (x + dx < 0 || y + dy < 0 || x + dx >= w || y + dy >= h)) continue;
                        int j = i + dy * w + dx;
                        float dj = diff[j], weight = dw / (Eps + MathF.Abs(G[j] - g));
                        sum += weight * dj;
                        wsum += weight;
                        wd[n] = dw; dd[n++] = dj;
                    }
                    float d = 0;
                    if (wsum > 0)
                    {
                        d = sum / wsum;
                        float spread = 0, dsum = 0;
                        for (int k = 0; k < n; k++) { spread += wd[k] * MathF.Abs(dd[k] - d); dsum += wd[k]; }
                        spread = spread / dsum + Eps;
                        float cw = WindowWeight / (spread * spread), cs = cw * d;
                        // Line candidates: linear between the nearest sites of colour c on either side.
                        var lines = colourLines[p][c];
                        for (int k = 0; k < Directions.Length; k++)
                        {
                            var (dx, dy) = Directions[k];
                            var (ta, tb, length, fa, fb) = lines[k];
                            if (ta == 0) continue;
                            int xa = x + ta * dx, ya = y + ta * dy, xb = x - tb * dx, yb = y - tb * dy;
                            if (!inside && (xa < 0 || ya < 0 || xa >= w || ya >= h || xb < 0 || yb < 0 || xb >= w || yb >= h)) continue;
                            int ja = ya * w + xa, jb = yb * w + xb;
                            // weight 1 / (length · gradient²), gradient = (that sum) / length + Eps, in one division
                            float q = MathF.Abs(diff[ja] - diff[jb]) + MathF.Abs(G[ja] - g) + MathF.Abs(G[jb] - g) + Eps * length;
                            float weight = length / (q * q);
                            cs += weight * (fa * diff[ja] + fb * diff[jb]);
                            cw += weight;
                        }
                        d = cs / cw;
                    }
                    value = g + d;
                }
                (c == 0 ? R : B)[i] = value;
            }
        }
    }

    /// <summary>Green at red/blue sites re-estimated as own sample − the neighbours' colour difference (edge-aware
    /// average over the 3×3), mixed in by a share that falls with the neighbours' disagreement relative to the green
    /// level; green sites keep their sample.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void RefineGreen(XTransMosaic m, float[] v, float[] G, float[] R, float[] B, float[] refined, int y, int x0, int x1)
    {
        int w = m.Width, h = m.Height;
        Span<float> wt = stackalloc float[8], dc = stackalloc float[8];
        for (int x = x0, i = y * w + x0; x < x1; x++, i++)
        {
            int own = m.ColorAt(x, y);
            float gi = G[i];
            if (own == 1) { refined[i] = gi; continue; }
            var C = own == 0 ? R : B;
            float sum = 0, wsum = 0;
            int n = 0;
            for (int yy = Math.Max(y - 1, 0); yy <= Math.Min(y + 1, h - 1); yy++)
                for (int xx = Math.Max(x - 1, 0); xx <= Math.Min(x + 1, w - 1); xx++)
                {
                    int j = yy * w + xx;
                    if (j == i) continue;
                    float e = Eps + MathF.Abs(G[j] - gi), weight = 1 / (e * e);
                    wt[n] = weight; dc[n] = C[j] - G[j];
                    sum += weight * dc[n++];
                    wsum += weight;
                }
            float k0 = sum / wsum, spread = 0;
            for (int k = 0; k < n; k++) spread += wt[k] * MathF.Abs(dc[k] - k0);
            spread /= wsum * (MathF.Max(gi, 0) + 1e-3f);
            float share = RefineShare * RefineSpread * RefineSpread / (RefineSpread * RefineSpread + spread * spread);
            refined[i] = gi + share * (v[i] - k0 - gi);
        }
    }

    /// <summary>Red and blue (where not sampled) move with green's refinement, keeping their colour differences; then
    /// green takes the refined value; all three are squared back to linear (<see cref="Decode"/>).
    /// <paramref name="outR"/> may be <paramref name="refined"/>.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void FollowGreen(XTransMosaic m, float[] G, float[] R, float[] B, float[] refined, float[] outR, int y)
    {
        int w = m.Width;
        for (int q = 0; q < 6; q++)
        {
            int own = m.Pattern[y % 6 * 6 + q];
            for (int i = y * w + q, end = (y + 1) * w; i < end; i += 6)
            {
                float g = refined[i], change = g - G[i];
                G[i] = Decode(g);
                outR[i] = Decode(own == 0 ? R[i] : R[i] + change);
                B[i] = Decode(own == 2 ? B[i] : B[i] + change);
            }
        }
    }
}
