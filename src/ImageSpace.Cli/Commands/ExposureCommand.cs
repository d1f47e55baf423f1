using System.CommandLine;
using System.Text.Json;
using ImageSpace.Core.Adjust;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Cli.Commands;

/// <summary>`imagespace exposure analyze`: per-image exposure-normalisation multipliers for each group, written into
/// a recipe that `process --recipe` (or `--exposure-multipliers`) applies.</summary>
public static class ExposureCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "folders or RAW files", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "recipe JSON to write, with the multipliers (default: print only)" };
        var json = new Option<bool>("--json") { Description = "print the result as JSON" };
        var reference = new Option<string?>("--reference-image") { Description = "follow this image's exposure instead of the group average" };
        var limits = new Option<string?>("--limits") { Description = "HIGHLIGHT,SHADOW limits in percent of display luminance (default 96,6)" };
        var debug = new Option<string?>("--debug-dir") { Description = "write a picture per image of what was left out (red: highlights, blue: shadows)" };
        var recipe = new Option<string?>("--recipe") { Description = "base recipe (decode, grouping, film); the output keeps it" };
        var groupBy = new Option<string?>("--group-by") { Description = "subfolder | prefix | none (normalise per group; default: the recipe's)" };
        var force = SideOutputs.ForceOption();
        var analyze = new Command("analyze", "Measure each image's exposure and compute multipliers that equalise every group (or follow a reference image).")
        { inputs, output, json, reference, limits, debug, recipe, groupBy, force };
        analyze.SetAction(pr =>
        {
            Recipe r;
            try
            {
                r = pr.GetValue(recipe) is { } rp ? Recipe.Load(rp) : new Recipe();
                if (pr.GetValue(groupBy) is { } g) r = r with { Grouping = r.Grouping with { By = g } };
                if (pr.GetValue(limits) is { } l)
                {
                    var v = RecipeFlags.ParseNumbers(l, 2, "--limits");
                    r = r with { Adjust = r.Adjust with { Limits = new ExposureLimits { HighlightPercent = v[0], ShadowPercent = v[1] } } };
                }
                r.Validate();
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            SideOutputs.Check([pr.GetValue(output)], [.. pr.GetValue(inputs)!, pr.GetValue(recipe)], pr.GetValue(force));
            string? refImage = pr.GetValue(reference) is { } ri ? Path.GetFullPath(ri) : null;
            var ds = DatasetScanner.Scan(pr.GetValue(inputs)!, r.Grouping);
            foreach (var e in ds.Errors) Console.Error.WriteLine($"error: {e}");
            var measure = ExposureAnalysis.MeasuringPipeline(r);
            var results = new List<ExposureAnalysis.Measured>();
            int failed = ds.Errors.Count, done = 0, total = ds.Files.Count();
            foreach (var group in ds.Groups)
            {
                IReadOnlyList<ExposureAnalysis.Measured> measured;
                int unreadable = 0;
                try
                {
                    measured = ExposureAnalysis.Group(measure, group, refImage,
                        (f, reason) => { Console.Error.WriteLine($"error: {f.Path}: {reason}"); unreadable++; },
                        f => Console.Error.WriteLine($"[{++done}/{total}] measured {f.RelativePath}"));
                }
                catch (ArgumentException e)
                {
                    // This group cannot be normalised (e.g. its frames are mostly clipped); the others still are.
                    Console.Error.WriteLine($"error: group {group.DisplayName}: {e.Message}");
                    failed += group.Files.Count;
                    continue;
                }
                failed += unreadable;
                results.AddRange(measured);
                if (pr.GetValue(debug) is { } dir)
                {
                    var window = ExposureNormalization.Window(measured.Select(m => m.Histogram).ToList(), r.Adjust.Limits);
                    foreach (var m in measured)
                    {
                        var (lo, hi) = ExposureNormalization.LuminanceLimits(m.Histogram, m.Result.Multiplier, window);
                        using var d = measure.Render(m.File.Path, Core.Raw.DemosaicMode.Half);
                        using var pic = ExposureNormalization.MaskPicture(d.Image, m.Result.Multiplier, lo, hi);
                        string path = Path.Combine(dir, Path.ChangeExtension(m.File.RelativePath, null) + "_exposure_mask.png");
                        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                        Core.Export.AtomicFile.Write(path, tmp => Core.Export.JpegPngWriter.WritePng(tmp, pic, new Core.Export.Quantizer(Core.Color.TransferFunction.Srgb), 8, null));
                    }
                }
            }
            if (refImage is not null && !results.Any(x => Path.GetFullPath(x.File.Path) == refImage))
                throw new UsageException($"--reference-image {pr.GetValue(reference)} is not among the inputs");
            var multipliers = ExposureAnalysis.Multipliers(results);
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(results.Select(x => new
                {
                    file = x.File.RelativePath, group = x.File.Group, meanLuminance = x.Result.Mean, multiplier = x.Result.Multiplier, ev = x.Result.Ev, pixelsUsed = x.Result.PixelsUsed,
                }), new JsonSerializerOptions { WriteIndented = true }));
            else
                foreach (var (f, _, s) in results)
                    Console.WriteLine($"{DatasetGroup.Display(f.Group)}  {f.RelativePath}  mean {s.Mean:0.0000}  ×{s.Multiplier:0.0000} ({s.Ev:+0.00;-0.00} EV)");
            if (pr.GetValue(output) is { } outPath)
            {
                var written = r with { Adjust = r.Adjust with { ExposureMultipliers = multipliers } };
                Core.Export.AtomicFile.WriteAllText(outPath, written.ToJson());
                Console.Error.WriteLine($"recipe with {multipliers.Count} multiplier(s): {outPath}");
            }
            return failed == 0 ? Program.Ok : Program.SomeFailed;
        });
        return new Command("exposure", "Exposure normalisation across a dataset.") { analyze };
    }
}
