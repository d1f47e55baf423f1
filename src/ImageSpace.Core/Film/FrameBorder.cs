using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Film;

/// <summary>Finds the picture area of a negative scan, as film-scanning tools crop it: around the exposed frame lie the
/// film's rebate (unexposed base and fog, with sprocket holes and edge print), bare light past the film's edge, and the
/// holder or scanner bed (black, or dim with stray light). Measured on the negative (camera RGB, before inversion)
/// against the film base, line by line (columns, then rows): the share of rebate pixels (within
/// <see cref="BaseTolerance"/> of the base in every channel, or bare light: brighter than the base in every channel),
/// of holder pixels (darker than the base by <see cref="HolderDensity"/> in every channel: denser than a normally
/// exposed frame's highlights, ≈ γ·2.3 ≈ 1.3 above the base, shared/docs/film-negative-anchors.md §6.3) and of picture
/// pixels (denser than the base, not holder). Walking in from each side over the outer <see cref="OuterShare"/>, the
/// picture starts past the innermost line that is at least <see cref="RebateShare"/> rebate (the film's own edge: a holder may look like anything,
/// the rebate does not), then past the lines that are mostly holder or not yet mostly picture. Inverted, the rebate
/// becomes the scene's deepest black and the holder and sprocket holes its brightest white (the real scan's surround
/// put a quarter of its pixels above 1.0).</summary>
public static class FrameBorder
{
    public const double BaseTolerance = 0.04, HolderDensity = 1.3, PictureShare = 0.5, RebateShare = 0.4, OuterShare = 0.2;

    public readonly record struct Area(int X, int Y, int Width, int Height)
    {
        public bool IsWhole(int w, int h) => X == 0 && Y == 0 && Width == w && Height == h;
    }

    /// <summary>The picture area in <paramref name="img"/>'s pixels, inset by a small margin (the frame's edge is
    /// never perfectly sharp on a scan); the whole image when no border is found.</summary>
    public static Area Detect(RgbImage img, double[] baseRgb)
    {
        int w = img.Width, h = img.Height;
        // Columns first (over all rows, sampled), then rows within the columns found, so the side rebates do not
        // dilute the rows' share (and the other way round on a vertical frame: a second pass on columns).
        var (x0, x1) = Run(w, x => Share(img, baseRgb, x, x + 1, 0, h, alongRows: false));
        var (y0, y1) = Run(h, y => Share(img, baseRgb, x0, x1, y, y + 1, alongRows: true));
        (x0, x1) = Run(w, x => Share(img, baseRgb, x, x + 1, y0, y1, alongRows: false));
        int margin = Math.Max(2, (int)Math.Round(0.005 * Math.Max(w, h)));
        // Inset only where a border was found: a frame filling the scan keeps its edge.
        if (x0 > 0) x0 += margin;
        if (x1 < w) x1 -= margin;
        if (y0 > 0) y0 += margin;
        if (y1 < h) y1 -= margin;
        if (x1 - x0 < w / 4 || y1 - y0 < h / 4) return new Area(0, 0, w, h); // nothing sensible found: keep it all
        return new Area(x0, y0, x1 - x0, y1 - y0);
    }

    /// <summary>Shares of picture, rebate (base within the tolerance, or bare light) and holder pixels in a column
    /// (x0..x0+1, rows y0..y1) or a row.</summary>
    private static (double picture, double rebate, double holder) Share(RgbImage img, double[] b, int x0, int x1, int y0, int y1, bool alongRows)
    {
        int n = 0, picture = 0, rebate = 0, holder = 0;
        int step = Math.Max(1, (alongRows ? x1 - x0 : y1 - y0) / 1000);
        double lo = Math.Pow(10, -BaseTolerance), hi = Math.Pow(10, BaseTolerance), dark = Math.Pow(10, -HolderDensity);
        for (int y = y0; y < y1; y += alongRows ? 1 : step)
            for (int x = x0; x < x1; x += alongRows ? step : 1)
            {
                int i = y * img.Width + x;
                double r = img.R[i] / b[0], g = img.G[i] / b[1], bl = img.B[i] / b[2];
                double min = Math.Min(r, Math.Min(g, bl)), max = Math.Max(r, Math.Max(g, bl));
                n++;
                bool bareLight = min > hi, outside = max < dark, denser = min < lo;
                if (denser && !outside && !bareLight) picture++;
                if (bareLight || !denser && max < hi) rebate++;
                if (outside) holder++;
            }
        return n == 0 ? (0, 0, 0) : (picture / (double)n, rebate / (double)n, holder / (double)n);
    }

    /// <summary>The picture's extent along one axis, walking in from each end over the outer
    /// <see cref="OuterShare"/>: past the innermost line that is largely rebate (base, bare light) when there is
    /// one — a holder or light spill outside the film may look like anything, the film's own rebate does not — then
    /// past every line that is not yet mostly picture.</summary>
    private static (int from, int to) Run(int length, Func<int, (double picture, double rebate, double holder)> share)
    {
        var s = new (double picture, double rebate, double holder)[length];
        Parallel.For(0, length, k => s[k] = share(k));
        int outer = (int)(length * OuterShare);
        int Edge(Func<int, int> at)
        {
            int start = 0;
            for (int k = 0; k < outer; k++) if (s[at(k)].rebate >= RebateShare) start = k + 1;
            while (start < outer && (s[at(start)].picture < PictureShare || s[at(start)].holder >= PictureShare)) start++;
            return start >= outer ? 0 : start;
        }
        int from = Edge(k => k), to = length - Edge(k => length - 1 - k);
        return to - from < length / 4 ? (0, length) : (from, to);
    }

    /// <summary>A copy of <paramref name="d"/> holding only <paramref name="a"/> (the original is disposed).</summary>
    public static DecodedImage Crop(DecodedImage d, Area a)
    {
        var src = d.Image;
        var dst = new RgbImage(a.Width, a.Height);
        for (int y = 0; y < a.Height; y++)
        {
            Array.Copy(src.R, (a.Y + y) * src.Width + a.X, dst.R, y * a.Width, a.Width);
            Array.Copy(src.G, (a.Y + y) * src.Width + a.X, dst.G, y * a.Width, a.Width);
            Array.Copy(src.B, (a.Y + y) * src.Width + a.X, dst.B, y * a.Width, a.Width);
        }
        var cropped = new DecodedImage
        {
            SourcePath = d.SourcePath, Image = dst, Metadata = d.Metadata, Multipliers = d.Multipliers, CameraToWorking = d.CameraToWorking,
            ColorSource = d.ColorSource, WhiteLevel = d.WhiteLevel, Timings = d.Timings,
        };
        cropped.Warnings.AddRange(d.Warnings);
        src.Dispose();
        return cropped;
    }
}
