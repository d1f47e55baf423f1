using OpenCvSharp;

namespace ImageSpace.Core.Charts;

/// <summary>A set of quads arranged on a regular grid: integer cell coordinates and the grid → image homography
/// (cell (i, j) centre at (i, j)), in detection-image pixels.</summary>
public sealed record GridCluster(Dictionary<(int i, int j), Quad> Cells, double[,] GridToImage, double Pitch)
{
    public Point2d Map(double i, double j)
    {
        var h = GridToImage;
        double w = h[2, 0] * i + h[2, 1] * j + h[2, 2];
        return new Point2d((h[0, 0] * i + h[0, 1] * j + h[0, 2]) / w, (h[1, 0] * i + h[1, 1] * j + h[1, 2]) / w);
    }
}

/// <summary>Turns loose quads into grids: neighbouring quads of similar size are linked, integer cell coordinates are
/// propagated from quad to quad in each quad's own (perspective-distorted) axes, and a RANSAC homography from cell
/// coordinates to centres keeps the consistent ones.</summary>
public static class GridFitter
{
    public static List<GridCluster> Fit(List<Quad> quads, int minCells = 6)
    {
        var result = new List<GridCluster>();
        var unused = new HashSet<int>(Enumerable.Range(0, quads.Count));
        while (unused.Count >= minCells)
        {
            // Seed: the quad with most similar-sized neighbours among the unused ones.
            int seed = unused.OrderByDescending(i => unused.Count(j => j != i && Near(quads[i], quads[j], 2.2))).First();
            var cells = Propagate(quads, seed, unused);
            foreach (var idx in cells.Values) unused.Remove(idx);
            unused.Remove(seed);
            if (cells.Count < minCells) continue;
            var cluster = Solve(quads, cells);
            if (cluster is not null) result.Add(cluster);
        }
        return result;
    }

    private static bool Near(Quad a, Quad b, double pitches)
    {
        double ratio = a.Area / b.Area;
        if (ratio > 2.5 || ratio < 0.4) return false;
        double pitch = (a.Side + b.Side) / 2 / ChartModel.PatchFraction;
        return a.Center.DistanceTo(b.Center) < pitches * pitch;
    }

    private static Dictionary<(int, int), int> Propagate(List<Quad> quads, int seed, HashSet<int> unused)
    {
        var coord = new Dictionary<int, (int i, int j)> { [seed] = (0, 0) };
        var axes = new Dictionary<int, (Point2d u, Point2d v)> { [seed] = quads[seed].Axes };
        var byCell = new Dictionary<(int, int), int> { [(0, 0)] = seed };
        var queue = new Queue<int>();
        queue.Enqueue(seed);
        while (queue.Count > 0)
        {
            int a = queue.Dequeue();
            var (ua, va) = axes[a];
            // Pitch vectors: patch sides scaled up by the gap.
            var pu = ua * (1 / ChartModel.PatchFraction);
            var pv = va * (1 / ChartModel.PatchFraction);
            double det = pu.X * pv.Y - pu.Y * pv.X;
            if (Math.Abs(det) < 1e-6) continue;
            foreach (int b in unused)
            {
                if (coord.ContainsKey(b) || !Near(quads[a], quads[b], 2.6)) continue;
                var d = quads[b].Center - quads[a].Center;
                double x = (d.X * pv.Y - d.Y * pv.X) / det, y = (pu.X * d.Y - pu.Y * d.X) / det;
                int rx = (int)Math.Round(x), ry = (int)Math.Round(y);
                if ((rx == 0 && ry == 0) || Math.Abs(x - rx) > 0.3 || Math.Abs(y - ry) > 0.3 || Math.Abs(rx) > 2 || Math.Abs(ry) > 2) continue;
                var cell = (coord[a].i + rx, coord[a].j + ry);
                if (byCell.ContainsKey(cell)) continue;
                // Express b's axes in a's orientation (a quad's corner order is arbitrary).
                var (ub, vb) = quads[b].Axes;
                (Point2d, Point2d)[] options = [(ub, vb), (vb, -ub), (-ub, -vb), (-vb, ub)];
                var best = options.OrderByDescending(o => Dot(o.Item1, ua) / Norm(ua) / Norm(o.Item1) + Dot(o.Item2, va) / Norm(va) / Norm(o.Item2)).First();
                coord[b] = cell; axes[b] = best; byCell[cell] = b;
                queue.Enqueue(b);
            }
        }
        return byCell;
    }

    private static GridCluster? Solve(List<Quad> quads, Dictionary<(int, int), int> cells)
    {
        var keys = cells.Keys.ToList();
        var src = keys.Select(k => new Point2d(k.Item1, k.Item2)).ToArray();
        var dst = keys.Select(k => quads[cells[k]].Center).ToArray();
        double pitch = keys.Average(k => quads[cells[k]].Side) / ChartModel.PatchFraction;
        using var inliers = new Mat();
        using var h = Cv2.FindHomography(InputArray.Create(src), InputArray.Create(dst), HomographyMethods.Ransac, 0.2 * pitch, inliers);
        if (h.Empty()) return null;
        var kept = new Dictionary<(int, int), Quad>();
        for (int i = 0; i < keys.Count; i++)
            if (inliers.At<byte>(i) != 0) kept[keys[i]] = quads[cells[keys[i]]];
        if (kept.Count < 6) return null;
        // Refit on the inliers only (least squares).
        using var h2 = Cv2.FindHomography(InputArray.Create(kept.Keys.Select(k => new Point2d(k.Item1, k.Item2)).ToArray()),
            InputArray.Create(kept.Values.Select(q => q.Center).ToArray()), HomographyMethods.None);
        var m = new double[3, 3];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) m[r, c] = h2.At<double>(r, c);
        return new GridCluster(kept, m, pitch);
    }

    private static double Dot(Point2d a, Point2d b) => a.X * b.X + a.Y * b.Y;
    private static double Norm(Point2d a) => Math.Sqrt(Dot(a, a));
}
