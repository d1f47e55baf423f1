using ImageSpace.Core.Calibration;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Cli;

/// <summary>Everything a command is handed is checked before any image is decoded, and a bad one is a usage error
/// on one line that names the file and what is wrong with it (issue 15).</summary>
public static class InputFiles
{
    /// <summary>The profile files a recipe names (--roll, --calibration): present, JSON, the right kind, the right
    /// shape; the chart reference; the flat-field and chart images present.</summary>
    public static void Check(Recipe r)
    {
        try
        {
            if (r.Film.Roll is { } roll) RollProfile.Load(roll);
            foreach (var p in r.Calibration.Profiles) CalibrationProfile.Load(p);
            ReferenceLoader.Load(r.Calibration.Reference);
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        // Image inputs beside the batch: present (their content is checked when decoded, with the file's name).
        if (r.Film.Enabled && r.Film.FlatField is { } flat) MustExist(flat, "flat-field frame");
        foreach (var c in r.Calibration.Charts) MustExist(c.File, "chart image");
    }

    private static void MustExist(string path, string kind)
    {
        if (Directory.Exists(path)) throw new UsageException($"{path}: is a folder, not a {kind}");
        if (!File.Exists(path)) throw new UsageException($"{path}: {kind} not found");
    }

    /// <summary>-o: a non-empty path, not a file, writable (or creatable) by this user.</summary>
    public static void CheckOutputFolder(string outDir)
    {
        try { Core.Export.OutputFolder.Check(outDir); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    /// <summary>--corners must span a proper quadrilateral: four distinct points, no three on a line (the homography
    /// of collinear corners is singular and gave NaN corners reported as "found"). Sorted by angle around their
    /// centroid, every corner of a convex quadrilateral turns the same way; the sine of each corner's angle must be
    /// at least 0.05 (about 3°) and every side at least 2 pixels.</summary>
    public static void CheckCorners((double x, double y)[] c, string text)
    {
        if (c.Any(p => !double.IsFinite(p.x) || !double.IsFinite(p.y)))
            throw new UsageException($"--corners: '{text}' has a number that is not finite");
        double cx = c.Average(p => p.x), cy = c.Average(p => p.y);
        var o = c.OrderBy(p => Math.Atan2(p.y - cy, p.x - cx)).ToArray();
        int sign = 0;
        for (int i = 0; i < 4; i++)
        {
            var (a, b, d) = (o[(i + 3) % 4], o[i], o[(i + 1) % 4]);
            double ux = b.x - a.x, uy = b.y - a.y, vx = d.x - b.x, vy = d.y - b.y;
            double lu = Math.Sqrt(ux * ux + uy * uy), lv = Math.Sqrt(vx * vx + vy * vy);
            if (lu < 2 || lv < 2) throw new UsageException($"--corners: '{text}' has corners closer than 2 pixels; give the chart's four corners");
            double sin = (ux * vy - uy * vx) / (lu * lv);
            if (Math.Abs(sin) < 0.05 || (sign != 0 && Math.Sign(sin) != sign))
                throw new UsageException($"--corners: '{text}' does not form a quadrilateral (three corners on a line, or one inside the others); give the chart's four corners");
            sign = Math.Sign(sin);
        }
    }
}
