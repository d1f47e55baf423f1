using System.CommandLine;
using System.Text.Json;
using ImageSpace.Core.Charts;
using ImageSpace.Core.Raw;

namespace ImageSpace.Cli.Commands;

public static class DetectCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "RAW files or JPEG/PNG/TIFF photos", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "print a JSON array, one object per file" };
        var negative = new Option<bool>("--negative") { Description = "the image is a film negative (find the chart on the inverted image)" };
        var corners = new Option<string?>("--corners") { Description = "manual chart corners x1,y1,x2,y2,x3,y3,x4,y4 in any order (full-resolution pixels)" };
        var debug = new Option<string?>("--debug") { Description = "write overlay, rectified chart, swatches and mask PNGs into this folder" };
        var cmd = new Command("detect", "Find the ColorChecker 24 and measure its patches in the linear image.") { files, json, negative, corners, debug };
        cmd.SetAction(pr => Run(pr.GetValue(files)!, pr.GetValue(json), pr.GetValue(negative), RecipeFlags.ParseCorners(pr.GetValue(corners)), pr.GetValue(debug)));
        return cmd;
    }


    private static int Run(string[] files, bool json, bool negative, (double, double)[]? corners, string? debugDir)
    {
        var results = new List<object>();
        int failed = 0;
        foreach (var file in files)
        {
            try
            {
                var (img, scale) = ImageLoader.Load(file);
                using (img)
                {
                    OpenCvSharp.Mat? mask = null;
                    var options = new DetectorOptions { Negative = negative, OnMask = m => { mask?.Dispose(); mask = m.Clone(); } };
                    // Coordinates in and out are full-resolution pixels of the file; the image may be a half-size decode.
                    var d = corners is null
                        ? ChartDetector.Detect(img, options)
                        : ChartDetector.FromCorners(img, corners.Select(c => (c.Item1 * scale, c.Item2 * scale)).ToArray(), options);
                    // A detection is only found with real corners (degenerate geometry gave NaN ones "found").
                    if (d.Found && d.Corners.Any(c => !double.IsFinite(c.x) || !double.IsFinite(c.y)))
                        d = ChartDetection.NotFound("the chart's corners could not be located (degenerate geometry)");
                    if (!d.Found) failed++;
                    if (debugDir is not null)
                        ChartDebug.Write(debugDir, Path.GetFileNameWithoutExtension(file), img, 1, d, mask);
                    mask?.Dispose();
                    results.Add(ToJson(file, d, 1 / scale));
                    if (!json) Print(file, d, 1 / scale);
                }
            }
            catch (RawDecodeException e)
            {
                failed++;
                Console.Error.WriteLine($"error: {e.Message}");
                results.Add(new { file, found = false, error = e.Reason });
            }
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        // 1 when a file could not be read or holds no chart: nothing was measured there.
        return failed == 0 ? Program.Ok : Program.SomeFailed;
    }

    private static object ToJson(string file, ChartDetection d, double k) => new
    {
        file, found = d.Found, confidence = Math.Round(d.Confidence, 3),
        corners = d.Corners.Select(c => new[] { Math.Round(c.x * k, 2), Math.Round(c.y * k, 2) }).ToArray(),
        patches = d.Patches.Select(p => new
        {
            index = p.Index, x = Math.Round(p.X * k, 2), y = Math.Round(p.Y * k, 2),
            rgb = new[] { p.Rgb.X, p.Rgb.Y, p.Rgb.Z }, std = p.Std, clipped = p.Clipped,
        }).ToArray(),
        warnings = d.Warnings, note = d.Note, error = (string?)null,
    };

    private static void Print(string file, ChartDetection d, double k)
    {
        if (!d.Found) { Console.WriteLine($"{file}: no chart ({d.Note})"); return; }
        var c = d.Corners;
        Console.WriteLine($"{file}: chart found, confidence {d.Confidence:0.00}; {d.Note}");
        Console.WriteLine($"  corners (patch 1, 6, 24, 19): {string.Join("  ", c.Select(p => $"{p.x * k:0.0},{p.y * k:0.0}"))}");
        foreach (var w in d.Warnings) Console.WriteLine($"  warning: {w}");
    }
}
