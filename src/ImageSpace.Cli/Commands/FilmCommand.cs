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
        var analyze = new Command("analyze", "Measure a roll once (film base, slopes, grey; from a chart frame when given) and write its profile.")
        { inputs, output, stock, filmBase, chart, reference, unmix };
        analyze.SetAction(pr =>
        {
            var o = new FilmOptions
            {
                Enabled = true, Stock = pr.GetValue(stock) ?? "portra400", Base = pr.GetValue(filmBase) ?? "auto",
                Unmix = pr.GetValue(unmix) is { } u ? RecipeFlags.ParseNumbers(u, 9, "--unmix") : null,
            };
            try
            {
                FilmStocks.ByName(o.Stock);
                RollProfile roll;
                if (pr.GetValue(chart) is { } c)
                {
                    roll = FilmProcessor.CalibrateFromChart(c, o, pr.GetValue(reference) ?? "after2014").roll;
                    Console.WriteLine($"chart frame {c}: slopes {string.Join("/", roll.Gamma.Select(g => g.ToString("0.000")))}, {roll.Calibration!.Model}, mean ΔE2000 {roll.Calibration.DeltaE.Mean:0.00}");
                }
                else
                {
                    var files = DatasetScanner.Scan(pr.GetValue(inputs)!, new GroupingOptions { By = "none" }).Files.Select(f => f.Path).ToList();
                    roll = FilmProcessor.Analyze(files, o, progress: f => Console.WriteLine($"  analysed {f}"));
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
