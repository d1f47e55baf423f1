using System.CommandLine;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Cli.Commands;

public static class ScanCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "folders or RAW files", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "print groups and files as JSON" };
        var groupBy = new Option<string?>("--group-by") { Description = "subfolder | prefix | none (default subfolder)" };
        var separator = new Option<string?>("--separator") { Description = "prefix grouping separator (default _)" };
        var ignore = new Option<string[]>("--ignore") { Description = "skip files matching this glob (repeatable)" };
        var charts = new Option<bool>("--find-charts") { Description = "also find each group's chart frame (every frame scanned; the most confident detection), as process --chart auto does" };
        var negative = new Option<bool>("--negative") { Description = "with --find-charts: the frames are film negatives" };
        var cmd = new Command("scan", "List the groups and files a process run would take, in processing order (RAW files; in a folder without any, its JPEG/TIFF/PNG scans).") { inputs, json, groupBy, separator, ignore, charts, negative };
        cmd.SetAction(pr =>
        {
            var g = new GroupingOptions
            {
                By = pr.GetValue(groupBy) ?? "subfolder",
                Separator = pr.GetValue(separator) ?? "_",
                Ignore = pr.GetValue(ignore) ?? [],
            };
            try { new Recipe { Grouping = g }.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var ds = DatasetScanner.Scan(pr.GetValue(inputs)!, g);
            foreach (var e in ds.Errors) Console.Error.WriteLine($"error: {e}");
            // The chart frames a plan with --chart auto would take (resolved by the same code, without outputs).
            var found = new Dictionary<string, (string? file, double? confidence)>();
            if (pr.GetValue(charts))
            {
                var recipe = new Recipe
                {
                    Grouping = g, Calibration = new CalibrationOptions { Auto = true, Fallback = "none" },
                    Film = new Core.Film.FilmOptions { Enabled = pr.GetValue(negative) },
                };
                var plan = new PlanResolver().Resolve(pr.GetValue(inputs)!, null, recipe, ds).Plan;
                foreach (var pg in plan.Groups) found[pg.Name] = (pg.ChartFrame, pg.ChartConfidence);
            }
            (string? file, double? confidence) ChartOf(string group) => found.GetValueOrDefault(group);
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    groups = ds.Groups.Select(gr => new { name = gr.Name, files = gr.Files.Select(f => f.Path), chartFrame = ChartOf(gr.Name).file, chartConfidence = ChartOf(gr.Name).confidence }),
                    total = ds.Files.Count(), ignored = ds.Ignored, photosNotTaken = ds.PhotosBesideRaws, errors = ds.Errors,
                }, new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                foreach (var gr in ds.Groups)
                {
                    Console.WriteLine($"{gr.DisplayName}  ({gr.Files.Count} file(s)){(ChartOf(gr.Name).file is { } c ? $", chart frame {c}" : "")}");
                    foreach (var f in gr.Files) Console.WriteLine($"  {f.RelativePath}");
                }
                Console.WriteLine($"{ds.Groups.Count} group(s), {ds.Files.Count()} file(s){(ds.Ignored > 0 ? $", {ds.Ignored} ignored" : "")}" +
                                  (ds.PhotosBesideRaws > 0 ? $"; {ds.PhotosBesideRaws} JPEG/TIFF/PNG file(s) beside the RAW files not taken (name them, or a folder of scans alone, to process them)" : ""));
            }
            // As process: no file at all is a usage error (2), some inputs unusable is 1.
            if (!ds.Files.Any()) return Program.UsageError;
            return ds.Errors.Count == 0 ? Program.Ok : Program.SomeFailed;
        });
        return cmd;
    }
}
