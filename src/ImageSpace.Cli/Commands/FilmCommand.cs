using System.CommandLine;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Film;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Cli.Commands;

public static class FilmCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "the roll: a folder of negative RAWs, or files", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "roll profile JSON to write", Required = true };
        var stock = new Option<string?>("--stock") { Description = "film stock preset (default portra400)" };
        var filmBase = new Option<string?>("--film-base") { Description = "auto | x,y,w,h | r,g,b" };
        var chart = new Option<string?>("--chart") { Description = "a ColorChecker frame of the roll: slopes, grey and colour correction from it" };
        var reference = new Option<string?>("--reference") { Description = "chart reference: after2014 | before2014 | CSV" };
        var unmix = new Option<string?>("--unmix") { Description = "camera crosstalk unmix matrix, 9 numbers" };
        var corners = new Option<string?>("--corners") { Description = "the --chart frame's corners placed by hand: x1,y1,…,x4,y4 in full-resolution pixels, any order" };
        var flatField = new Option<string?>("--flat-field") { Description = "a blank light-table frame: uneven light divided out before measuring (as process does)" };
        var recipeFile = new Option<string?>("--recipe") { Description = "recipe JSON whose decode and film settings the frames are measured with; flags override it" };
        var force = SideOutputs.ForceOption();
        var analyze = new Command("analyze", "Measure a roll once (film base, slopes, grey; from a chart frame when given) and write its profile.")
        { inputs, output, stock, filmBase, chart, corners, reference, unmix, flatField, recipeFile, force };
        analyze.SetAction(pr =>
        {
            Recipe recipe;
            try { recipe = pr.GetValue(recipeFile) is { } rf ? Recipe.Load(rf) : new Recipe(); }
            catch (Exception e) when (e is ArgumentException or IOException) { throw new UsageException(e.Message); }
            var f0 = recipe.Film;
            var o = f0 with
            {
                Enabled = true,
                Roll = null,
                Stock = pr.GetValue(stock) ?? f0.Stock,
                Base = pr.GetValue(filmBase) ?? f0.Base,
                Unmix = pr.GetValue(unmix) is { } u ? RecipeFlags.ParseNumbers(u, 9, "--unmix") : f0.Unmix,
                FlatField = pr.GetValue(flatField) ?? f0.FlatField,
            };
            recipe = recipe with { Film = o, Calibration = recipe.Calibration with { Reference = pr.GetValue(reference) ?? recipe.Calibration.Reference } };
            var placed = RecipeFlags.ParseCorners(pr.GetValue(corners));
            if (placed is not null && pr.GetValue(chart) is null) throw new UsageException("--corners places the chart of the --chart frame: give --chart FILE");
            SideOutputs.Check([pr.GetValue(output)], [.. pr.GetValue(inputs)!, pr.GetValue(chart), o.FlatField, pr.GetValue(recipeFile)], pr.GetValue(force));
            try
            {
                FilmStocks.ByName(o.Stock);
                // The frames are measured through the pipeline's decode stage (flat field included), as process decodes them.
                var pipeline = new Pipeline(recipe);
                RollProfile roll;
                if (pr.GetValue(chart) is { } c)
                {
                    roll = Measurement.FilmChart(pipeline, c, placed).roll;
                    Console.WriteLine($"chart frame {c}: slopes {string.Join("/", roll.Gamma.Select(g => g.ToString("0.000")))}, {roll.Calibration!.Model}, mean ΔE2000 {roll.Calibration.DeltaE.Mean:0.00}");
                }
                else
                {
                    var files = DatasetScanner.Scan(pr.GetValue(inputs)!, new GroupingOptions { By = "none" }).Files.Select(f => f.Path).ToList();
                    roll = Measurement.FilmRoll(pipeline, files, f => Console.WriteLine($"  analysed {f}"));
                    if (roll.RejectedFrames.Length > 0) Console.WriteLine($"outlier frames not used: {string.Join(", ", roll.RejectedFrames)}");
                }
                Core.Export.AtomicFile.WriteAllText(pr.GetValue(output)!, roll.ToJson());
                Console.WriteLine($"roll profile: {pr.GetValue(output)} (base {string.Join("/", roll.BaseNormalized.Select(b => b.ToString("G4")))}, slopes {string.Join("/", roll.Gamma.Select(g => g.ToString("0.000")))})");
                return Program.Ok;
            }
            catch (Exception e) when (e is Core.Raw.RawDecodeException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Program.SomeFailed;
            }
        });
        return new Command("film", "Negative film: roll profiles.") { analyze };
    }
}
