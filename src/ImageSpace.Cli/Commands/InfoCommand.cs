using System.CommandLine;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Raw;

namespace ImageSpace.Cli.Commands;

public static class InfoCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "RAW files or folders", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "print a JSON array, one object per file" };
        var cmd = new Command("info", "Show camera, exposure and sensor metadata of RAW files.") { files, json };
        cmd.SetAction(pr => Run(pr.GetValue(files)!, pr.GetValue(json)));
        return cmd;
    }

    private static int Run(string[] inputs, bool json)
    {
        var scan = DatasetScanner.Scan(inputs, new Core.Pipeline.GroupingOptions { By = "none" });
        foreach (var e in scan.Errors) Console.Error.WriteLine($"error: {e}");
        var results = new List<object>();
        int failed = scan.Errors.Count;
        foreach (var f in scan.Files)
        {
            try
            {
                var m = RawDecoder.ReadMetadata(f.Path);
                if (json) results.Add(ToJson(f.Path, m));
                else Print(f.Path, m);
            }
            catch (RawDecodeException e)
            {
                failed++;
                Console.Error.WriteLine($"error: {e.Message}");
                if (json) results.Add(new { file = f.Path, error = e.Reason });
            }
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        return failed == 0 ? Program.Ok : Program.SomeFailed;
    }

    private static object ToJson(string file, RawMetadata m)
    {
        var color = new CameraColor(m);
        var (w, h) = m.OrientedSize;
        return new
        {
            file, make = m.Make, model = m.Model, lens = m.Lens, iso = m.Iso, exposure_time = m.ExposureTime,
            f_number = m.FNumber, focal_length = m.FocalLength, date_time_original = m.DateTimeOriginal,
            width = w, height = h, sensor_width = m.Width, sensor_height = m.Height,
            orientation = Core.Imaging.Orientation.ToExif(m.Flip), dng = m.IsDng, cfa = m.CfaDescription,
            black_levels = m.Black, white_level = m.White,
            as_shot_multipliers = color.AsShotNeutral is { } n ? CameraColor.MultipliersFor(n) : null,
            color_matrix_source = color.Source, libraw = m.LibRawVersion,
        };
    }

    private static void Print(string file, RawMetadata m)
    {
        var (w, h) = m.OrientedSize;
        var color = new CameraColor(m);
        Console.WriteLine(file);
        Console.WriteLine($"  camera        {m.Make} {m.Model}");
        if (m.Lens.Length > 0) Console.WriteLine($"  lens          {m.Lens}");
        Console.WriteLine($"  exposure      {Exposure(m.ExposureTime)}  f/{m.FNumber:0.#}  ISO {m.Iso:0}  {m.FocalLength:0.#} mm");
        if (m.DateTimeOriginal.Length > 0) Console.WriteLine($"  taken         {m.DateTimeOriginal}");
        Console.WriteLine($"  size          {w} x {h}  (sensor {m.Width} x {m.Height}, orientation {Core.Imaging.Orientation.ToExif(m.Flip)})");
        Console.WriteLine($"  sensor        {(m.IsDng ? "DNG, " : "")}CFA {m.CfaDescription}, black {string.Join("/", m.Black)}, white {m.White}");
        if (color.AsShotNeutral is { } n)
            Console.WriteLine($"  as-shot WB    {string.Join(" ", CameraColor.MultipliersFor(n).Select(v => v.ToString("0.000")))}");
        Console.WriteLine($"  colour matrix {color.Source}");
    }

    private static string Exposure(double t) => t <= 0 ? "?" : t >= 1 ? $"{t:0.#} s" : $"1/{1 / t:0} s";
}
