using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageSpace.Core.Synthetic;

/// <summary>`imagespace sample`: a small realistic dataset with known truth, so a new user can try everything without
/// photos of their own. Two groups (subfolders) shot under different light, each with one chart frame and frames of
/// an "object" without a chart.</summary>
public static class SampleDataset
{
    public sealed record Frame(string File, string Group, SceneParameters Scene);

    public static IReadOnlyList<Frame> Plan(int width = 1800, int height = 1200) =>
    [
        new("turntable_A/objA_0001.dng", "turntable_A", new SceneParameters { Width = width, Height = height, Illuminant = "D50", PatchPitch = width / 18.0, RotationDeg = 4, TiltDeg = 12, Seed = 11 }),
        new("turntable_A/objA_0002.dng", "turntable_A", new SceneParameters { Width = width, Height = height, Illuminant = "D50", HasChart = false, Seed = 12 }),
        new("turntable_A/objA_0003.dng", "turntable_A", new SceneParameters { Width = width, Height = height, Illuminant = "D50", HasChart = false, ExposureEv = 0.4, Seed = 13 }),
        new("turntable_B/objB_0001.dng", "turntable_B", new SceneParameters { Width = width, Height = height, Illuminant = "A", PatchPitch = width / 24.0, RotationDeg = -33, TiltDeg = 25, TiltAxisDeg = 60, CenterX = 0.45, Vignetting = 0.3, Seed = 21 }),
        new("turntable_B/objB_0002.dng", "turntable_B", new SceneParameters { Width = width, Height = height, Illuminant = "A", HasChart = false, Vignetting = 0.3, Seed = 22 }),
    ];

    /// <summary>A roll of synthetic colour negatives (Portra-400-like film, LED light table, camera crosstalk): a chart
    /// frame, an orange-dominated frame with the chart, a frame on a grey surround; and in natural/ a chart frame plus
    /// nine natural-looking frames at −1.3…+1 EV (<see cref="NaturalRoll"/>) with their scene truth as float TIFFs;
    /// truth.json has the patch XYZ and the rig's unmix matrix. The natural roll only with <paramref name="natural"/>.</summary>
    public static string WriteNegatives(string dir, IProgress<string>? progress = null, int width = 1800, int height = 1200, bool natural = false)
    {
        Directory.CreateDirectory(dir);
        var film = new NegativeFilm();
        var frames = new (string file, SceneParameters p)[]
        {
            ("roll/neg_0001.dng", new SceneParameters { Width = width, Height = height, PatchPitch = width / 17.0, RotationDeg = 4, Seed = 31 }),
            ("roll/neg_0002.dng", new SceneParameters { Width = width, Height = height, PatchPitch = width / 17.0, RotationDeg = -20, DominantPatch = 7, ExposureEv = 0.5, Seed = 32 }),
            ("roll/neg_0003.dng", new SceneParameters { Width = width, Height = height, PatchPitch = width / 17.0, RotationDeg = 12, DominantPatch = 21, Seed = 33 }),
        };
        var truth = new List<object>();
        foreach (var (file, p) in frames)
        {
            string path = Path.Combine(dir, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var scene = Export.AtomicFile.Write(path, tmp => NegativeSimulator.Write(tmp, p, film));
            truth.Add(new { file, scene = p, chart = scene.Chart, patches_xyz_d50 = scene.PatchXyzD50.Select(v => v.ToArray()).ToArray() });
            progress?.Report(file);
        }
        // A roll of natural-looking scenes (dead leaves, sky, near-neutral surfaces) at −1.3…+1 EV with its own chart
        // frame; each frame's truth is its scene as a linear-sRGB float TIFF (reflectance, white 1).
        using var roll = natural ? NaturalRoll.Write(Path.Combine(dir, "natural"), film, width * 2 / 3, height * 2 / 3) : null;
        var naturalTruth = new List<object>();
        foreach (var f in roll?.Frames ?? [])
        {
            // In a subfolder: processing natural/*.dng (or the folder) must not pick the truth up as a frame.
            string tif = Path.Combine(Path.GetDirectoryName(f.Path)!, "truth", Path.GetFileNameWithoutExtension(f.Path) + ".tif");
            Directory.CreateDirectory(Path.GetDirectoryName(tif)!);
            Export.AtomicFile.Write(tif, tmp => Export.TiffWriter.Write(tmp, f.Truth, new Export.Quantizer(Color.TransferFunction.Linear), 32,
                BitMiracle.LibTiff.Classic.Compression.DEFLATE, null, "scene truth, linear sRGB, perfect white 1"));
            naturalTruth.Add(new { file = "natural/" + Path.GetFileName(f.Path), exposure_ev = f.ExposureEv, truth = "natural/truth/" + Path.GetFileName(tif) });
            progress?.Report("natural/" + Path.GetFileName(f.Path));
        }
        string truthPath = Path.Combine(dir, "truth.json");
        Export.AtomicFile.WriteAllText(truthPath, JsonSerializer.Serialize(new
        {
            description = "Synthetic colour negatives (shared/docs/film-negative-anchors.md §6.1 forward model). unmix is the rig's crosstalk inverse (--unmix). natural/: a roll of natural-looking scenes with a separate chart frame (natural/chart.dng, patch truth in natural_chart) and per-frame scene truth; the rebate is " + NegativeSimulator.RebateWidth(width * 2 / 3) + " px at each side.",
            film, unmix = string.Join(",", NegativeSimulator.Unmix(film).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
            frames = truth,
            natural_chart = roll is null ? null : new { file = "natural/chart.dng", patches_xyz_d50 = roll.Chart.PatchXyzD50.Select(v => v.ToArray()).ToArray() },
            natural = roll is null ? null : naturalTruth,
        }, new JsonSerializerOptions { WriteIndented = true }));
        return truthPath;
    }

    /// <summary>Writes the frames and truth.json into <paramref name="dir"/>; returns the truth file's path.</summary>
    public static string Write(string dir, IProgress<string>? progress = null, int width = 1800, int height = 1200)
    {
        Directory.CreateDirectory(dir);
        var truth = new List<object>();
        int n = 0;
        foreach (var f in Plan(width, height))
        {
            string path = Path.Combine(dir, f.File);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var info = new DngInfo
            {
                DateTimeOriginal = new DateTime(2024, 5, 17, 10, 30, 0).AddMinutes(n++),
                Gps = (47.3769 + n * 1e-4, 8.5417, 408.0),
            };
            var scene = Export.AtomicFile.Write(path, tmp => SyntheticDng.Write(tmp, f.Scene, info));
            truth.Add(new
            {
                file = f.File.Replace('\\', '/'), group = f.Group, scene = f.Scene, camera = scene.Camera.Name,
                has_chart = scene.Chart is not null, chart = scene.Chart,
                decoded_white_y = scene.DecodedWhiteY,
                patches_xyz_d50 = scene.PatchXyzD50.Select(v => v.ToArray()).ToArray(),
                patches_lab_d50 = scene.PatchXyzD50.Select(v => Color.Lab.FromXyz(v, Color.WhitePoints.D50).ToArray()).ToArray(),
            });
            progress?.Report(f.File);
        }
        string truthPath = Path.Combine(dir, "truth.json");
        var json = JsonSerializer.Serialize(new
        {
            description = "Image Space sample dataset: synthetic DNGs rendered from spectral data (Ohta ColorChecker reflectances, CIE illuminants, Nikon D5100 sensitivities). XYZ are relative to a perfect white of Y = 1, Bradford-adapted to ICC D50; a decoded image shows them scaled by decoded_white_y.",
            frames = truth,
        }, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull });
        Export.AtomicFile.WriteAllText(truthPath, json);
        return truthPath;
    }
}
