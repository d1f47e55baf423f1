using ImageSpace.Core.Color;
using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Charts;

/// <summary>Measures the 24 patches in the linear image: every pixel whose centre maps (through the inverse
/// homography) into the inner square of a patch, a 20 % trimmed mean per channel, the spread and a clipped flag.</summary>
public static class PatchSampler
{
    public static PatchSample[] Sample(RgbImage img, Homography chartToImage, float clipLevel = 0.999f, double halfWidth = ChartModel.SampleHalfWidth)
    {
        var toChart = chartToImage.Inverse();
        var result = new PatchSample[ChartModel.Patches];
        Parallel.For(0, ChartModel.Patches, Parallelism.Options, p =>
        {
            var (cu, cv) = ChartModel.PatchCenter(p + 1);
            var quad = new[] { (cu - halfWidth, cv - halfWidth), (cu + halfWidth, cv - halfWidth), (cu + halfWidth, cv + halfWidth), (cu - halfWidth, cv + halfWidth) }
                .Select(c => chartToImage.Map(c.Item1, c.Item2)).ToArray();
            int x0 = Math.Max(0, (int)Math.Floor(quad.Min(q => q.x))), x1 = Math.Min(img.Width - 1, (int)Math.Ceiling(quad.Max(q => q.x)));
            int y0 = Math.Max(0, (int)Math.Floor(quad.Min(q => q.y))), y1 = Math.Min(img.Height - 1, (int)Math.Ceiling(quad.Max(q => q.y)));
            var rs = new List<float>(); var gs = new List<float>(); var bs = new List<float>();
            int clipped = 0;
            // A robust mean needs a few thousand samples, not every pixel of a 300-pixel patch: large patches are
            // read on a regular sub-grid.
            int step = Math.Max(1, (int)Math.Sqrt((x1 - x0 + 1) * (double)(y1 - y0 + 1) / 4000));
            for (int y = y0; y <= y1; y += step)
                for (int x = x0; x <= x1; x += step)
                {
                    var (u, v) = toChart.Map(x + 0.5, y + 0.5);
                    if (Math.Abs(u - cu) > halfWidth || Math.Abs(v - cv) > halfWidth) continue;
                    int i = y * img.Width + x;
                    float r = img.R[i], g = img.G[i], b = img.B[i];
                    rs.Add(r); gs.Add(g); bs.Add(b);
                    if (r >= clipLevel || g >= clipLevel || b >= clipLevel) clipped++;
                }
            var (px, py) = chartToImage.Map(cu, cv);
            if (rs.Count == 0)
            {
                // Smaller than a pixel, or outside the image: the nearest pixel, flagged by Pixels = 0.
                int xi = Math.Clamp((int)px, 0, img.Width - 1), yi = Math.Clamp((int)py, 0, img.Height - 1), i = yi * img.Width + xi;
                result[p] = new PatchSample(p + 1, px, py, new Vec3(img.R[i], img.G[i], img.B[i]), 0, false, 0);
                return;
            }
            var (mr, sr) = Trimmed(rs); var (mg, sg) = Trimmed(gs); var (mb, sb) = Trimmed(bs);
            result[p] = new PatchSample(p + 1, px, py, new Vec3(mr, mg, mb), (sr + sg + sb) / 3, clipped > 0.02 * rs.Count, rs.Count);
        });
        return result;
    }

    /// <summary>Mean of the middle 60 % (robust to dust, glare specks and edge pixels), and the standard deviation of
    /// all samples.</summary>
    private static (double mean, double std) Trimmed(List<float> v)
    {
        v.Sort();
        int cut = (int)(v.Count * 0.2), n = v.Count - 2 * cut;
        double sum = 0;
        for (int i = cut; i < cut + n; i++) sum += v[i];
        double mean = sum / n, all = v.Average(x => (double)x), var = v.Average(x => (x - all) * (x - all));
        return (mean, Math.Sqrt(var));
    }

    /// <summary>Warnings a user should see about a measurement.</summary>
    public static List<string> Warnings(IReadOnlyList<PatchSample> patches)
    {
        var w = new List<string>();
        var clipped = patches.Where(p => p.Clipped).Select(p => p.Index).ToList();
        if (clipped.Count > 0) w.Add($"clipped patches: {string.Join(", ", clipped)} (overexposed: exclude or reshoot)");
        var noisy = patches.Where(p => p.Pixels > 0 && p.Std > 0.1 * Math.Max(p.Rgb.Max, 1e-3) + 0.002).Select(p => p.Index).ToList();
        if (noisy.Count > 0) w.Add($"non-uniform patches: {string.Join(", ", noisy)} (glare, shadow, dust or misplaced corners)");
        var tiny = patches.Where(p => p.Pixels < 16).Select(p => p.Index).ToList();
        if (tiny.Count > 0) w.Add($"patches sampled from fewer than 16 pixels: {string.Join(", ", tiny)}");
        return w;
    }
}
