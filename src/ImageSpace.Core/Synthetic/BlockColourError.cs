using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Synthetic;

/// <summary>How far a processed picture is from its synthetic truth, the way a viewer sees it: ΔE2000 on 16×16-pixel
/// blocks (block means in linear light, so the texture inside a block does not count, its colour does) after one
/// exposure scalar (a frame's own exposure is free), over the picture area only (the rebate and a 2 % margin next to
/// it left out). Greys are the blocks whose truth has C* &lt; 6; for them the error in a* and b* is kept.</summary>
public static class BlockColourError
{
    public sealed record Result(double Mean, double P90, double GreyCastA, double GreyCastB, double GreyP95Ab, double Scale,
        double BrightestRatio, int Blocks, int GreyBlocks);

    /// <param name="output">The positive in the working space (linear Rec.2020), possibly reduced by an integer factor.</param>
    /// <param name="truthSrgb">The scene in linear sRGB at full size.</param>
    /// <param name="skipColumns">Columns at each side (truth pixels) that are not picture (the rebate).</param>
    public static Result Score(RgbImage output, RgbImage truthSrgb, int skipColumns, int block = 16, Action<Vec3, Vec3, double>? perBlock = null)
    {
        int f = truthSrgb.Width / output.Width;
        if (f < 1 || truthSrgb.Height / output.Height != f) throw new ArgumentException("output and truth sizes do not match");
        int margin = truthSrgb.Width * 2 / 100;
        int x0 = (skipColumns + margin + f - 1) / f, x1 = (truthSrgb.Width - skipColumns - margin) / f;
        var toXyzOut = WorkingSpace.ToXyzD50;
        var toXyzTruth = RgbColorSpace.Srgb.ToXyzAt(WhitePoints.D50);
        var pairs = new List<(Vec3 outXyz, Vec3 truthXyz)>();
        for (int by = 0; by + block <= output.Height; by += block)
            for (int bx = x0; bx + block <= x1; bx += block)
            {
                pairs.Add((toXyzOut * Mean(output, bx, by, block, block), toXyzTruth * Mean(truthSrgb, bx * f, by * f, block * f, block * f)));
            }
        // One exposure scalar: the median ratio of luminance over blocks that are not near black.
        var ratios = pairs.Where(p => p.truthXyz.Y > 0.03 && p.outXyz.Y > 1e-6).Select(p => p.truthXyz.Y / p.outXyz.Y).ToList();
        double k = ratios.Count > 0 ? Statistics.Median(ratios) : 1;
        var de = new List<double>(); var da = new List<double>(); var db = new List<double>();
        foreach (var (o, t) in pairs)
        {
            var lo = Lab.FromXyz(k * o, WhitePoints.D50); var lt = Lab.FromXyz(t, WhitePoints.D50);
            de.Add(DeltaE.Ciede2000(lo, lt));
            perBlock?.Invoke(lt, lo, de[^1]);
            if (Lab.Chroma(lt) < 6) { da.Add(lo.Y - lt.Y); db.Add(lo.Z - lt.Z); }
        }
        de.Sort();
        double maxOut = 0, maxTruth = 0;
        for (int y = 0; y < output.Height; y++)
            for (int x = x0; x < x1; x++)
            {
                int i = y * output.Width + x;
                maxOut = Math.Max(maxOut, Math.Max(output.R[i], Math.Max(output.G[i], output.B[i])));
            }
        for (int c = 0; c < 3; c++) maxTruth = Math.Max(maxTruth, truthSrgb.Plane(c).Max());
        var abs = da.Select(Math.Abs).Concat(db.Select(Math.Abs)).OrderBy(v => v).ToList();
        return new Result(de.Average(), de[(int)(de.Count * 0.9)], da.Count > 0 ? Statistics.Median(da) : 0, db.Count > 0 ? Statistics.Median(db) : 0,
            abs.Count > 0 ? abs[(int)(abs.Count * 0.95)] : 0, k, k * maxOut / maxTruth, de.Count, da.Count);
    }

    private static Vec3 Mean(RgbImage img, int x, int y, int w, int h)
    {
        double r = 0, g = 0, b = 0;
        for (int yy = y; yy < y + h; yy++)
            for (int xx = x, i = yy * img.Width + x; xx < x + w; xx++, i++) { r += img.R[i]; g += img.G[i]; b += img.B[i]; }
        int n = w * h;
        return new Vec3(r / n, g / n, b / n);
    }
}
