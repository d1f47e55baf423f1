using ImageSpace.Core.Imaging;
using OpenCvSharp;

namespace ImageSpace.Core.Charts;

public sealed record DetectorOptions
{
    /// <summary>The image is a film negative: the chart is found on the inverted image.</summary>
    public bool Negative { get; init; }
    public ColorCheckerReference Reference { get; init; } = ColorCheckerReference.After2014;
    /// <summary>Longest side of the first (coarsest) detection image; finer scales follow when nothing is found.</summary>
    public int CoarseSize { get; init; } = 1200;
    /// <summary>Filled with the segmentation mask of the last scale tried (debug output).</summary>
    public Action<Mat>? OnMask { get; init; }
}

/// <summary>Finds a ColorChecker Classic 24 (full size, Passport page, Mini, Nano: same proportions) in a linear
/// image at any rotation, tilt and size, or reports that there is none. See <see cref="QuadFinder"/>,
/// <see cref="GridFitter"/> and <see cref="OrientationScorer"/> for the steps.</summary>
public static class ChartDetector
{
    public static ChartDetection Detect(RgbImage img, DetectorOptions? options = null)
    {
        options ??= new DetectorOptions();
        int maxSide = Math.Max(img.Width, img.Height);
        var factors = new List<int>();
        for (int f = Math.Max(1, (int)Math.Round(maxSide / (double)options.CoarseSize)); ; f = Math.Max(1, f / 2))
        {
            factors.Add(f);
            if (f == 1) break;
        }
        string why = "no patch grid found";
        var attempts = factors.Select(f => (f, up: false)).ToList();
        if (maxSide <= 3000) attempts.Add((1, true)); // last resort for tiny patches: 2× upsampled
        // After the coarsest scale, a finer one only has to find the patches the coarser one could not resolve
        // (small ones, thin gaps), unless the coarser one saw a grid it then rejected: then everything is searched
        // again. This keeps a chart-free 24 MP frame cheap (issue 13: scanning every frame for the chart).
        bool onlySmall = false;
        foreach (var (f, up) in attempts)
        {
            using var plain = DetectionImage.Create(img, f, options.Negative);
            using var upsampled = up ? plain.Upsampled() : null;
            var det = upsampled ?? plain;
            var blocks = onlySmall ? QuadFinder.SmallBlocks : QuadFinder.AllBlocks;
            List<Quad> quads;
            if (options.OnMask is { } onMask)
            {
                quads = QuadFinder.Find(det.Grey, blocks, out var mask);
                using (mask) onMask(mask);
            }
            else quads = QuadFinder.Find(det.Grey, blocks);
            var grids = GridFitter.Fit(quads);
            onlySmall = grids.Count == 0;
            if (grids.Count == 0) continue;
            var best = grids.Select(g => BestPlacement(g, det, options)).Where(p => p is not null).OrderBy(p => p!.Value.score.Cost).FirstOrDefault();
            if (best is null) continue;
            var (h, score) = best.Value;
            if (!score.Plausible)
            {
                why = $"a patch grid was found but it is not a ColorChecker (grey ramp {score.Monotonic}/5, neutral chroma {score.NeutralChroma:0.00}, hue error {score.HueError:0}°)";
                continue;
            }
            var outside = ChartModel.Corners.Select(c => h.Map(c.u, c.v)).Any(p => p.x < 0 || p.y < 0 || p.x > img.Width || p.y > img.Height)
                ? Enumerable.Range(1, ChartModel.Patches).Where(i =>
                {
                    var (u, v) = ChartModel.PatchCenter(i);
                    var (x, y) = h.Map(u, v);
                    return x < 0 || y < 0 || x >= img.Width || y >= img.Height;
                }).ToList()
                : [];
            if (outside.Count > 0)
                return ChartDetection.NotFound($"partial chart: patches {string.Join(", ", outside)} lie outside the image (use --corners if the rest is usable)");
            var patches = PatchSampler.Sample(img, h);
            return new ChartDetection
            {
                Found = true, Confidence = score.Confidence, ChartToImage = h, Patches = patches,
                Warnings = PatchSampler.Warnings(patches),
                Note = $"found at {(up ? "2×" : $"1/{f}")} scale: {grids.Max(g => g.Cells.Count)} patches in the grid, grey ramp {score.Monotonic}/5, hue error {score.HueError:0.0}°",
            };
        }
        return ChartDetection.NotFound(why);
    }

    /// <summary>Where the chart sits on the grid: 4 rotations × every 6 × 4 window position that covers (nearly)
    /// the most grid cells; cells outside the window (squares on the same sheet, tiles) are ignored. Each placement is
    /// scored on the colours at the 24 predicted centres.</summary>
    private static (Homography h, OrientationScorer.Score score)? BestPlacement(GridCluster g, DetectionImage det, DetectorOptions o)
    {
        (Homography, OrientationScorer.Score)? best = null;
        double bestCost = double.MaxValue;
        for (int rot = 0; rot < 4; rot++)
        {
            var t = g.Cells.Keys.Select(c => Rotate(c.i, c.j, rot)).ToList();
            var windows = t.SelectMany(c => Enumerable.Range(0, ChartModel.Columns).SelectMany(da => Enumerable.Range(0, ChartModel.Rows).Select(db => (a: c.a - da, b: c.b - db))))
                .Distinct()
                .Select(w => (w, covered: t.Count(c => c.a - w.a is >= 0 and < ChartModel.Columns && c.b - w.b is >= 0 and < ChartModel.Rows)))
                .ToList();
            int most = windows.Max(w => w.covered);
            foreach (var (w, covered) in windows)
            {
                if (covered < 6 || covered < most - 1) continue;
                int oc = -w.a, or = -w.b;
                // Chart (u, v) → grid (i, j) → detection pixels → full-resolution pixels.
                var corners = ChartModel.Corners.Select(c =>
                {
                    var (i, j) = Unrotate(c.u - 0.5 - oc, c.v - 0.5 - or, rot);
                    var p = g.Map(i, j);
                    return ((p.X + 0.5) * det.Scale, (p.Y + 0.5) * det.Scale);
                }).ToArray();
                Homography h;
                try { h = Homography.FromPoints(ChartModel.Corners.Select(c => (c.u, c.v)).ToArray(), corners); }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException) { continue; }
                var small = new Homography(Color.Matrix3.Diagonal(1.0 / det.SmallFactor, 1.0 / det.SmallFactor, 1) * h.Matrix);
                var colours = PatchSampler.Sample(det.Small, small, float.PositiveInfinity, 0.15).Select(p => p.Rgb).ToArray();
                var score = OrientationScorer.Evaluate(colours, o.Negative, o.Reference);
                double cost = score.Cost + 0.3 * (most - covered);
                if (cost < bestCost) { best = (h, score); bestCost = cost; }
            }
        }
        return best;
    }

    // Rotations of the grid by multiples of 90° (right-handed to right-handed: a chart is never mirrored).
    private static (int a, int b) Rotate(int i, int j, int rot) => rot switch { 0 => (i, j), 1 => (-j, i), 2 => (-i, -j), _ => (j, -i) };
    private static (double i, double j) Unrotate(double a, double b, int rot) => rot switch { 0 => (a, b), 1 => (b, -a), 2 => (-a, -b), _ => (-b, a) };

    /// <summary>Manual selection: four corners in any order. They are put in convex order, and the chart's
    /// orientation (which corner is patch 1) is chosen by the same colour test as automatic detection.</summary>
    public static ChartDetection FromCorners(RgbImage img, IReadOnlyList<(double x, double y)> corners, DetectorOptions? options = null)
    {
        options ??= new DetectorOptions();
        if (corners.Count != 4) throw new ArgumentException("need exactly 4 corners");
        double cx = corners.Average(c => c.x), cy = corners.Average(c => c.y);
        var ordered = corners.OrderBy(c => Math.Atan2(c.y - cy, c.x - cx)).ToArray(); // clockwise on screen (y down)
        (Homography h, OrientationScorer.Score s)? best = null;
        for (int start = 0; start < 4; start++)
        {
            var dst = Enumerable.Range(0, 4).Select(k => ordered[(start + k) % 4]).ToArray();
            Homography h;
            try { h = Homography.FromPoints(ChartModel.Corners.Select(c => (c.u, c.v)).ToArray(), dst); }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException) { continue; }
            var colours = PatchSampler.Sample(img, h, float.PositiveInfinity, 0.15).Select(p => p.Rgb).ToArray();
            var s = OrientationScorer.Evaluate(colours, options.Negative, options.Reference);
            if (best is null || s.Cost < best.Value.s.Cost) best = (h, s);
        }
        if (best is null) throw new ArgumentException("the corners do not form a quadrilateral");
        var patches = PatchSampler.Sample(img, best.Value.h);
        var warnings = PatchSampler.Warnings(patches);
        if (!best.Value.s.Plausible) warnings.Insert(0, "the colours inside these corners do not look like a ColorChecker in any orientation; check the corners");
        return new ChartDetection
        {
            Found = true, Confidence = best.Value.s.Confidence, ChartToImage = best.Value.h, Patches = patches, Warnings = warnings,
            Note = $"manual corners, grey ramp {best.Value.s.Monotonic}/5, hue error {best.Value.s.HueError:0.0}°",
        };
    }
}
