using System.CommandLine;
using System.Text.Json;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;

namespace ImageSpace.Cli.Commands;

public static class CalibrateCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("chart-images") { Description = "RAW or JPEG/PNG/TIFF images with a ColorChecker 24", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "profile JSON (one image), or a folder (several images: STEM.json each)" };
        var negative = new Option<bool>("--negative") { Description = "film negative: measure the chart on the negative and fit the roll (base, slopes, grey) and the colour correction on the inverted patches, as process --negative --chart does; -o writes the roll profile (use it with --roll)" };
        var stock = new Option<string?>("--stock") { Description = "film stock preset for --negative (default portra400)" };
        var recipeFile = new Option<string?>("--recipe") { Description = "recipe JSON whose decode, white balance and film settings the chart frame is decoded with (as process would)" };
        var corners = new Option<string?>("--corners") { Description = "chart corners x1,y1,…,x4,y4 in any order (instead of detection)" };
        var report = new Option<string?>("--report") { Description = "write an HTML report with swatch and ΔE pictures into this folder" };
        var json = new Option<bool>("--json") { Description = "print the result as JSON (an object, or a list for several images)" };
        var reference = new Option<string?>("--reference") { Description = "after2014 (default) | before2014 | CSV with L,a,b or X,Y,Z (D50) per patch" };
        var model = new Option<string?>("--model") { Description = "auto (default: leave-one-out choice) | matrix | neutral | rp2 | rp3" };
        var refine = new Option<bool>("--refine") { Description = "take the ΔE2000-optimised fit of the chosen model (the default takes it only where leave-one-out says it generalises)" };
        var group = new Option<string?>("--group") { Description = "the group this calibration is for (default: global)" };
        var cube = new Option<string?>("--cube") { Description = "also write a .cube 3D LUT (sRGB-encoded in and out)" };
        var cubeSize = new Option<int>("--cube-size") { Description = "LUT size: 33 or 65", DefaultValueFactory = _ => 33 };
        var matrix = new Option<string?>("--matrix") { Description = "also write the 3×3 matrix as text (matrix models)" };
        var force = SideOutputs.ForceOption();
        var cmd = new Command("calibrate", "Fit a colour correction from a ColorChecker image and report ΔE2000 per patch.")
        { files, output, negative, stock, recipeFile, corners, report, json, reference, model, refine, group, cube, cubeSize, matrix, force };
        cmd.SetAction(pr =>
        {
            var o = new CalibrateOptions
            {
                Negative = pr.GetValue(negative), Corners = RecipeFlags.ParseCorners(pr.GetValue(corners)), Reference = pr.GetValue(reference) ?? "after2014",
                Model = ParseModel(pr.GetValue(model)), Refine = pr.GetValue(refine), Group = pr.GetValue(group),
            };
            var recipe = LoadRecipe(pr.GetValue(recipeFile));
            recipe = recipe with
            {
                Calibration = recipe.Calibration with { Reference = o.Reference },
                Film = recipe.Film with { Enabled = o.Negative || recipe.Film.Enabled, Stock = pr.GetValue(stock) ?? recipe.Film.Stock, Roll = null },
            };
            if (recipe.Film.Enabled && o.Refine) throw new UsageException("--refine is for positives; the roll's fit is chosen by leave-one-out");
            try { Core.Film.FilmStocks.ByName(recipe.Film.Stock); recipe.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            string[] images = pr.GetValue(files)!;
            string? outArg = pr.GetValue(output), cubePath = pr.GetValue(cube), matrixPath = pr.GetValue(matrix);
            if (images.Length > 1 && outArg is not null && File.Exists(outArg)) throw new UsageException($"{outArg}: is a file; with several images -o is a folder (STEM.json each)");
            SideOutputs.Check([.. images.Select(f => ProfilePath(images, outArg, f)), cubePath, matrixPath], [.. images, pr.GetValue(recipeFile)], pr.GetValue(force));
            return Run(images, outArg, o with { Negative = recipe.Film.Enabled }, recipe, pr.GetValue(report), pr.GetValue(json), cubePath, pr.GetValue(cubeSize), matrixPath);
        });
        return cmd;
    }

    /// <summary>Where -o puts <paramref name="file"/>'s profile: the .json (or existing file) named, for one image; else
    /// STEM.json in the folder named.</summary>
    private static string? ProfilePath(string[] files, string? output, string file) =>
        output is null ? null
        : files.Length == 1 && (output.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(output)) ? output
        : Path.Combine(output, Path.GetFileNameWithoutExtension(file) + ".json");

    private static ModelKind? ParseModel(string? s) => s?.ToLowerInvariant() switch
    {
        null or "auto" => null,
        "matrix" => ModelKind.Matrix,
        "neutral" => ModelKind.NeutralMatrix,
        "rp2" => ModelKind.RootPolynomial2,
        "rp3" => ModelKind.RootPolynomial3,
        _ => throw new UsageException($"--model: '{s}' is not auto, matrix, neutral, rp2 or rp3"),
    };


    private static Recipe LoadRecipe(string? path)
    {
        if (path is null) return new Recipe();
        try { return Recipe.Load(path); }
        catch (Exception e) when (e is ArgumentException or IOException) { throw new UsageException(e.Message); }
    }

    private static int Run(string[] files, string? output, CalibrateOptions o, Recipe recipe, string? reportDir, bool json, string? cube, int cubeSize, string? matrixPath)
    {
        if (files.Length > 1 && (cube is not null || matrixPath is not null)) throw new UsageException("--cube and --matrix take a single chart image");
        try { ReferenceLoader.Load(o.Reference); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        var results = new List<object>();
        int failed = 0;
        foreach (var file in files)
        {
            try
            {
                // The same measurement as a batch: the chart frame through the pipeline's decode stage. A negative gives
                // the roll (its colour correction fitted on the inverted patches), exactly as process --negative --chart.
                var pipeline = new Pipeline(recipe);
                CalibrationProfile p;
                string profileJson;
                if (recipe.Film.Enabled)
                {
                    var (roll, _) = Measurement.FilmChart(pipeline, file, o.Corners, o.Model);
                    p = roll.Calibration!;
                    profileJson = roll.ToJson();
                }
                else
                {
                    p = Measurement.Chart(pipeline, file, o).Profile;
                    profileJson = p.ToJson();
                }
                string stem = Path.GetFileNameWithoutExtension(file);
                string? profilePath = ProfilePath(files, output, file);
                if (profilePath is not null) ImageSpace.Core.Export.AtomicFile.WriteAllText(profilePath, profileJson);
                if (reportDir is not null) CalibrationReport.Write(reportDir, stem, p);
                if (cube is not null) ImageSpace.Core.Export.AtomicFile.WriteAllText(cube, LutExport.Cube(p, cubeSize));
                if (matrixPath is not null) ImageSpace.Core.Export.AtomicFile.WriteAllText(matrixPath, LutExport.MatrixText(p));
                results.Add(new
                {
                    file, found = true, model = p.Model, fit = p.Fit, deltaE = new { mean = p.DeltaE.Mean, max = p.DeltaE.Max, loo_mean = p.DeltaE.LooMean, loo_max = p.DeltaE.LooMax },
                    patches = p.Patches.Select(e => new { index = e.Index, deltaE = e.DeltaE, loo_deltaE = e.LooDeltaE, clipped = e.Clipped, measured = e.Measured, corrected_lab = e.Corrected, reference_lab = e.ReferenceLab }),
                    reason = p.Reason, exposure_gain = p.ExposureGain, illuminant_cct = p.IlluminantCct, warnings = p.Warnings, profile = profilePath,
                });
                if (!json)
                {
                    Console.WriteLine($"{file}: {p.Model} ({(p.Fit == FitObjective.DeltaE2000 ? "ΔE2000-optimised" : "least squares")}), ΔE2000 mean {p.DeltaE.Mean:0.00} max {p.DeltaE.Max:0.00}, leave-one-out mean {p.DeltaE.LooMean:0.00} max {p.DeltaE.LooMax:0.00}");
                    Console.WriteLine($"  {p.Reason}");
                    foreach (var w in p.Warnings) Console.WriteLine($"  warning: {w}");
                    if (profilePath is not null) Console.WriteLine(recipe.Film.Enabled ? $"  roll profile: {profilePath} (use it with process --negative --roll)" : $"  profile: {profilePath}");
                }
            }
            catch (Exception e) when (e is RawDecodeException or ArgumentException)
            {
                failed++;
                Console.Error.WriteLine($"error: {(e is RawDecodeException ? e.Message : $"{file}: {e.Message}")}");
                results.Add(new { file, found = false, error = e is RawDecodeException r ? r.Reason : e.Message });
            }
        }
        if (json)
        {
            var opts = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };
            Console.WriteLine(files.Length == 1 ? JsonSerializer.Serialize(results[0], opts) : JsonSerializer.Serialize(results, opts));
        }
        return failed == 0 ? Program.Ok : Program.SomeFailed;
    }
}
