using OpenCvSharp;

namespace ImageSpace.Core.Charts;

/// <summary>A patch-like quadrilateral found in the detection image (detection-image pixels).</summary>
public sealed record Quad(Point2d[] Corners, Point2d Center, double Area)
{
    public double Side => Math.Sqrt(Area);
    /// <summary>The two side vectors (averaged over opposite edges), right-handed in image coordinates (y down).</summary>
    public (Point2d u, Point2d v) Axes
    {
        get
        {
            var c = Corners;
            var u = new Point2d((c[1].X - c[0].X + c[2].X - c[3].X) / 2, (c[1].Y - c[0].Y + c[2].Y - c[3].Y) / 2);
            var v = new Point2d((c[3].X - c[0].X + c[2].X - c[1].X) / 2, (c[3].Y - c[0].Y + c[2].Y - c[1].Y) / 2);
            return u.X * v.Y - u.Y * v.X >= 0 ? (u, v) : (v, u);
        }
    }
}

/// <summary>Finds candidate patches: adaptive thresholds at several window sizes (patches brighter than their
/// surroundings of black gaps), contours simplified to convex quadrilaterals that are solid and not too elongated
/// (up to ~60° of tilt), duplicates across thresholds merged.</summary>
public static class QuadFinder
{
    /// <summary>Adaptive-threshold windows: a patch stands out as brighter than the window's mean when the window is
    /// about 1.2–4× its side, so these cover patches of ~7 to ~100 detection pixels.</summary>
    public static readonly int[] AllBlocks = [15, 31, 61, 121];
    /// <summary>The windows for patches of ~7 to ~25 detection pixels only: enough at a finer scale whose coarser
    /// neighbour has already searched the larger patches (and a third of the time at 24 MP).</summary>
    public static readonly int[] SmallBlocks = [15, 31];

    public static List<Quad> Find(Mat grey, out Mat mask) => Find(grey, AllBlocks, out mask);

    /// <summary>The quads of <paramref name="grey"/> found with the given threshold windows; <paramref name="mask"/>
    /// (the union of the thresholded images, for debug output) only when asked for.</summary>
    public static List<Quad> Find(Mat grey, IReadOnlyList<int> blocks, out Mat mask) => FindCore(grey, blocks, wantMask: true, out mask!);

    public static List<Quad> Find(Mat grey, IReadOnlyList<int> blocks) => FindCore(grey, blocks, wantMask: false, out _);

    private static List<Quad> FindCore(Mat grey, IReadOnlyList<int> blocks, bool wantMask, out Mat? mask)
    {
        var quads = new List<Quad>();
        int minSide = 7;
        double maxArea = grey.Width * (double)grey.Height / 30;
        mask = wantMask ? new Mat(grey.Size(), MatType.CV_8UC1, Scalar.All(0)) : null;
        using var blurred = new Mat();
        Cv2.GaussianBlur(grey, blurred, new Size(3, 3), 0);
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(3, 3));
        // One binary image reused for every window (24 MB at 24 MP: fresh ones cost their page faults each time).
        using var bin = new Mat();
        foreach (int block in blocks)
        {
            if (block > Math.Min(grey.Width, grey.Height)) continue;
            Cv2.AdaptiveThreshold(blurred, bin, 255, AdaptiveThresholdTypes.MeanC, ThresholdTypes.Binary, block, -2);
            Cv2.Erode(bin, bin, kernel);
            if (mask is not null) Cv2.BitwiseOr(mask, bin, mask);
            Cv2.FindContours(bin, out var contours, out _, RetrievalModes.List, ContourApproximationModes.ApproxSimple);
            foreach (var contour in contours)
            {
                if (contour.Length < 4) continue;
                double area = Cv2.ContourArea(contour);
                if (area < minSide * minSide || area > maxArea) continue;
                var hull = Cv2.ConvexHull(contour);
                double hullArea = Cv2.ContourArea(hull);
                if (hullArea <= 0 || area / hullArea < 0.88) continue;
                var approx = Cv2.ApproxPolyDP(hull, 0.08 * Cv2.ArcLength(hull, true), true);
                if (approx.Length != 4 || !Cv2.IsContourConvex(approx)) continue;
                double quadArea = Cv2.ContourArea(approx);
                if (quadArea <= 0 || area / quadArea < 0.8) continue;
                var pts = approx.Select(p => new Point2d(p.X, p.Y)).ToArray();
                var sides = Enumerable.Range(0, 4).Select(i => pts[i].DistanceTo(pts[(i + 1) % 4])).ToArray();
                if (sides.Min() < minSide * 0.7 || sides.Max() / sides.Min() > 1.8) continue;
                // Opposite sides of a patch seen in perspective stay roughly parallel.
                if (!Parallel(pts[0], pts[1], pts[3], pts[2]) || !Parallel(pts[1], pts[2], pts[0], pts[3])) continue;
                // Erosion shrank the shape by one pixel on every side; grow the corners back around the centre.
                var center = new Point2d(pts.Average(p => p.X), pts.Average(p => p.Y));
                double grow = 1 + 2.0 / Math.Sqrt(quadArea);
                pts = pts.Select(p => new Point2d(center.X + (p.X - center.X) * grow, center.Y + (p.Y - center.Y) * grow)).ToArray();
                quads.Add(new Quad(pts, center, quadArea * grow * grow));
            }
        }
        return Dedupe(quads);
    }

    private static bool Parallel(Point2d a0, Point2d a1, Point2d b0, Point2d b1)
    {
        double ax = a1.X - a0.X, ay = a1.Y - a0.Y, bx = b1.X - b0.X, by = b1.Y - b0.Y;
        double cos = (ax * bx + ay * by) / (Math.Sqrt(ax * ax + ay * ay) * Math.Sqrt(bx * bx + by * by));
        return cos > 0.85; // within ~32°
    }

    /// <summary>The same patch found at several thresholds: keep the largest quad of each cluster of centres.</summary>
    private static List<Quad> Dedupe(List<Quad> quads)
    {
        var kept = new List<Quad>();
        foreach (var q in quads.OrderByDescending(q => q.Area))
            if (!kept.Any(k => k.Center.DistanceTo(q.Center) < 0.4 * Math.Min(k.Side, q.Side)))
                kept.Add(q);
        return kept;
    }
}
