using System.CommandLine;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;
using Spectre.Console;

namespace ImageSpace.Cli.Commands;

public static class ProcessCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "RAW files or folders (searched recursively)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "output folder", Required = true };
        var recipe = new Option<string?>("--recipe") { Description = "recipe JSON file; the options below override it" };
        var wb = new Option<string?>("--wb") { Description = "white balance: asshot | none | R,G,B multipliers" };
        var demosaic = new Option<string?>("--demosaic") { Description = "full (PPG, full resolution) | half (2x2 cells, half size)" };
        var highlights = new Option<string?>("--highlights") { Description = "clip (neutral blown highlights) | unclipped" };
        var compression = new Option<string?>("--compression") { Description = "TIFF compression: none | lzw | deflate" };
        var overwrite = new Option<bool>("--overwrite") { Description = "replace existing output files (inputs are never replaced)" };
        var cmd = new Command("process", "Decode RAW files to linear working-space (Rec.2020, D65) 16-bit TIFFs.")
        { inputs, output, recipe, wb, demosaic, highlights, compression, overwrite };
        cmd.SetAction(pr =>
        {
            var r = pr.GetValue(recipe) is { } path ? LoadRecipe(path) : new Recipe();
            r = r with
            {
                Decode = ApplyDecodeFlags(r.Decode, pr.GetValue(wb), pr.GetValue(demosaic), pr.GetValue(highlights)),
                Export = r.Export with
                {
                    Compression = pr.GetValue(compression) ?? r.Export.Compression,
                    Overwrite = pr.GetValue(overwrite) || r.Export.Overwrite,
                },
            };
            return Run(pr.GetValue(inputs)!, pr.GetValue(output)!, r);
        });
        return cmd;
    }

    private static Recipe LoadRecipe(string path)
    {
        try { return Recipe.Load(path); }
        catch (Exception e) when (e is ArgumentException or IOException) { throw new UsageException(e.Message); }
    }

    internal static DecodeOptions ApplyDecodeFlags(DecodeOptions d, string? wb, string? demosaic, string? highlights)
    {
        if (wb is not null)
        {
            d = wb.ToLowerInvariant() switch
            {
                "asshot" or "as-shot" => d with { WhiteBalance = WhiteBalanceMode.AsShot },
                "none" => d with { WhiteBalance = WhiteBalanceMode.None },
                _ => d with { WhiteBalance = WhiteBalanceMode.Custom, Multipliers = ParseMultipliers(wb) },
            };
        }
        if (demosaic is not null)
            d = d with { Demosaic = demosaic.ToLowerInvariant() switch
            {
                "full" => DemosaicMode.Full,
                "half" => DemosaicMode.Half,
                _ => throw new UsageException($"--demosaic: '{demosaic}' is not one of full, half"),
            } };
        if (highlights is not null)
            d = d with { Highlights = highlights.ToLowerInvariant() switch
            {
                "clip" => HighlightMode.Clip,
                "unclipped" => HighlightMode.Unclipped,
                _ => throw new UsageException($"--highlights: '{highlights}' is not one of clip, unclipped"),
            } };
        return d;
    }

    private static float[] ParseMultipliers(string s)
    {
        var parts = s.Split(',');
        if (parts.Length != 3 || !parts.All(p => float.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0))
            throw new UsageException($"--wb: '{s}' is not asshot, none or three positive multipliers R,G,B");
        return parts.Select(p => float.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static int Run(string[] inputs, string outDir, Recipe recipe)
    {
        Pipeline pipeline;
        try { pipeline = new Pipeline(recipe); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }

        var scan = InputScanner.Expand(inputs);
        foreach (var e in scan.Errors) Console.Error.WriteLine($"error: {e}");
        var (items, refused) = BatchRunner.Plan(scan.Files, outDir, Pipeline.OutputExtension(recipe));
        foreach (var f in refused) Console.Error.WriteLine($"error: {f.Input}: {f.Reason}");
        if (items.Count == 0)
        {
            Console.Error.WriteLine("error: nothing to process");
            return scan.Files.Count == 0 && refused.Count == 0 ? Program.UsageError : Program.SomeFailed;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        BatchResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"Processing {items.Count} file(s)", maxValue: items.Count);
                result = BatchRunner.Run(items, pipeline, (item, error) =>
                {
                    // Plain stderr, never wrapped: one line per failed file, for people and for scripts.
                    if (error is not null) Console.Error.WriteLine($"error: {item.Input}: {error}");
                    task.Increment(1);
                }, cts.Token);
            });
        int failed = result.Failures.Count + scan.Errors.Count + refused.Count;
        double perMin = result.Done / Math.Max(result.Elapsed.TotalMinutes, 1e-9);
        Console.WriteLine($"{result.Done} done, {result.Skipped} skipped, {failed} failed in {result.Elapsed.TotalSeconds:0.0} s ({perMin:0.#} images/min)");
        if (cts.IsCancellationRequested) Console.WriteLine("Cancelled: files not yet started were not processed.");
        return failed == 0 && !cts.IsCancellationRequested ? Program.Ok : Program.SomeFailed;
    }
}
