using System.Globalization;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Calibration;

/// <summary>Reference values: the built-in ColorChecker 24 (after or before November 2014), or a CSV of 24 rows in
/// chart order with columns L, a, b (D50; also L_D50, a_D50, b_D50) or X, Y, Z (D50, 0–1 or 0–100).</summary>
public static class ReferenceLoader
{
    public static (string name, Vec3[] xyzD50) Load(string? nameOrFile)
    {
        switch ((nameOrFile ?? "after2014").ToLowerInvariant())
        {
            case "after2014" or "2014" or "new": return (ColorCheckerReference.After2014.Name, ColorCheckerReference.After2014.XyzD50);
            case "before2014" or "old": return (ColorCheckerReference.Before2014.Name, ColorCheckerReference.Before2014.XyzD50);
        }
        string path = nameOrFile!;
        if (!File.Exists(path)) throw new ArgumentException($"reference '{path}' is neither after2014, before2014 nor a CSV file");
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0 && !l.StartsWith('#')).ToList();
        var header = lines[0].Split(',').Select(h => h.Trim().Trim('"').ToLowerInvariant()).ToList();
        int Col(params string[] names) => names.Select(n => header.IndexOf(n)).FirstOrDefault(i => i >= 0, -1);
        int l = Col("l", "l_d50", "l*"), a = Col("a", "a_d50", "a*"), b = Col("b", "b_d50", "b*");
        int x = Col("x_d50", "x"), y = Col("y_d50", "y"), z = Col("z_d50", "z");
        var rows = lines.Skip(1).Select(r => r.Split(',')).ToList();
        if (rows.Count != ChartModel.Patches) throw new ArgumentException($"{path}: {rows.Count} rows, expected {ChartModel.Patches}");
        double V(string[] r, int i) => double.Parse(r[i].Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture);
        Vec3[] xyz;
        if (l >= 0 && a >= 0 && b >= 0) xyz = rows.Select(r => Color.Lab.ToXyz(new Vec3(V(r, l), V(r, a), V(r, b)), WhitePoints.D50)).ToArray();
        else if (x >= 0 && y >= 0 && z >= 0)
        {
            xyz = rows.Select(r => new Vec3(V(r, x), V(r, y), V(r, z))).ToArray();
            if (xyz.Max(v => v.Y) > 2) xyz = xyz.Select(v => 0.01 * v).ToArray();
        }
        else throw new ArgumentException($"{path}: needs columns L,a,b or X,Y,Z");
        return (Path.GetFileName(path), xyz);
    }
}
