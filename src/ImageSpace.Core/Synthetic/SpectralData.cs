using System.Globalization;
using System.Reflection;

namespace ImageSpace.Core.Synthetic;

/// <summary>Spectral tables (embedded CSVs, sources in Data/SOURCES.md) on one grid: 380–780 nm in 5 nm steps.</summary>
public static class SpectralData
{
    public const int Start = 380, Step = 5, Count = 81;

    private static readonly Lazy<Dictionary<string, double[]>> Cmf = new(() => Load("cie1931_2deg_cmfs_5nm.csv"));
    private static readonly Lazy<Dictionary<string, double[]>> Illuminants = new(() => Load("illuminants_spd.csv"));
    private static readonly Lazy<Dictionary<string, double[]>> Checker = new(() => Load("colorchecker24_spectral_ohta1997.csv"));

    public static double[] XBar => Cmf.Value["x_bar"];
    public static double[] YBar => Cmf.Value["y_bar"];
    public static double[] ZBar => Cmf.Value["z_bar"];

    public static IReadOnlyList<string> IlluminantNames => ["D50", "D65", "A", "FL2", "FL11"];

    public static double[] Illuminant(string name) =>
        Illuminants.Value.TryGetValue(name.ToUpperInvariant(), out var v) ? v
            : throw new ArgumentException($"unknown illuminant '{name}' (known: {string.Join(", ", IlluminantNames)})");

    /// <summary>Reflectance of ColorChecker patch 1..24 (row by row, dark skin first).</summary>
    public static double[] Patch(int index) => Patches.Value[index - 1];

    // Columns are named "01_dark_skin" … "24_black_2_(1.5_D)": ordinal order is patch order.
    private static readonly Lazy<double[][]> Patches = new(() =>
        Checker.Value.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).ToArray());

    public static double[][] CameraSensitivities(string file)
    {
        var t = Load(file);
        return [t["r"], t["g"], t["b"]];
    }

    /// <summary>Reads a wavelength table and resamples every column onto the common grid (linear interpolation;
    /// zero outside the tabulated range).</summary>
    private static Dictionary<string, double[]> Load(string resource)
    {
        // Tables whose licence does not allow shipping them (the Jiang et al. cameras: CC BY-NC-SA) are not embedded:
        // the tests carry them as files beside their assembly (Data/).
        string beside = Path.Combine(AppContext.BaseDirectory, "Data", resource);
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
                      ?? (File.Exists(beside) ? File.OpenRead(beside) : null)
                      ?? throw new InvalidOperationException($"{resource} is not part of this build (test data, not shipped: see Synthetic/Data/SOURCES.md)");
        using var reader = new StreamReader(s);
        string[] header = reader.ReadLine()!.Split(',');
        var wl = new List<double>();
        var cols = header.Skip(1).Select(_ => new List<double>()).ToArray();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0) continue;
            var f = line.Split(',');
            wl.Add(double.Parse(f[0], NumberStyles.Float, CultureInfo.InvariantCulture));
            for (int c = 0; c < cols.Length; c++) cols[c].Add(double.Parse(f[c + 1], NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        var result = new Dictionary<string, double[]>();
        for (int c = 0; c < cols.Length; c++) result[header[c + 1]] = Resample(wl, cols[c]);
        return result;
    }

    private static double[] Resample(List<double> wl, List<double> v)
    {
        var r = new double[Count];
        for (int i = 0; i < Count; i++)
        {
            double l = Start + i * Step;
            if (l < wl[0] || l > wl[^1]) continue;
            int k = wl.BinarySearch(l);
            if (k >= 0) { r[i] = v[k]; continue; }
            k = ~k;
            double t = (l - wl[k - 1]) / (wl[k] - wl[k - 1]);
            r[i] = v[k - 1] + t * (v[k] - v[k - 1]);
        }
        return r;
    }
}
