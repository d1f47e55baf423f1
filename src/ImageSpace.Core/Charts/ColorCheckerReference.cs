using System.Globalization;
using System.Reflection;
using ImageSpace.Core.Color;

namespace ImageSpace.Core.Charts;

/// <summary>ColorChecker Classic 24 reference values (Lab, ICC D50, 2°; X-Rite via colour-science, see
/// Synthetic/Data/SOURCES.md), patch 1 = dark skin … 24 = black, row by row.</summary>
public sealed class ColorCheckerReference
{
    public string Name { get; }
    public IReadOnlyList<string> PatchNames { get; }
    public Vec3[] Lab { get; }
    public Vec3[] XyzD50 { get; }
    /// <summary>Reference colours in the working space (linear Rec.2020, D65), for orientation scoring.</summary>
    public Vec3[] Working { get; }

    private ColorCheckerReference(string name, string resource)
    {
        Name = name;
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)!;
        using var r = new StreamReader(s);
        r.ReadLine();
        var names = new List<string>();
        var lab = new List<Vec3>();
        string? line;
        while ((line = r.ReadLine()) is not null)
        {
            if (line.Length == 0) continue;
            // index,"name",row,col,x,y,Y,X,Z,L,a,b
            int q1 = line.IndexOf('"'), q2 = line.IndexOf('"', q1 + 1);
            names.Add(line[(q1 + 1)..q2]);
            var f = line[(q2 + 2)..].Split(',');
            double P(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            lab.Add(new Vec3(P(7), P(8), P(9)));
        }
        PatchNames = names; Lab = lab.ToArray();
        XyzD50 = Lab.Select(l => Color.Lab.ToXyz(l, WhitePoints.D50)).ToArray();
        Working = XyzD50.Select(x => WorkingSpace.FromXyzD50 * x).ToArray();
    }

    public static ColorCheckerReference After2014 { get; } = new("ColorChecker 24 (after November 2014)", "colorchecker24_after_2014.csv");
    public static ColorCheckerReference Before2014 { get; } = new("ColorChecker 24 (before November 2014)", "colorchecker24_before_2014.csv");
}
