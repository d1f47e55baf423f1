using System.CommandLine;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;
using Spectre.Console;

namespace ImageSpace.Cli.Commands;

public static class ProcessCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "RAW files or folders (searched recursively)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "output folder", Required = true };
        var plan = new Option<bool>("--plan") { Description = "print input → output and stop (nothing is written)" };
        var json = new Option<bool>("--json") { Description = "emit progress events as JSON lines on stdout" };
        var farm = new Option<string?>("--farm") { Description = "submit to a farm coordinator (URL) instead of processing here; paths must be on storage the workers share" };
        var farmToken = new Option<string?>("--farm-token") { Description = "the coordinator's --token" };
        var flags = new RecipeFlags();
        var cmd = new Command("process", "Process RAW files: decode, then write JPEG/PNG/TIFF/EXR with colour space, ICC and EXIF.")
        { inputs, output, plan, json, farm, farmToken };
        flags.AddTo(cmd);
        cmd.SetAction(pr => Run(pr.GetValue(inputs)!, pr.GetValue(output)!, flags.Build(pr), pr.GetValue(plan), pr.GetValue(json),
            pr.GetValue(farm) is { } url ? (url, pr.GetValue(farmToken)) : null));
        return cmd;
    }

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static int Run(string[] inputs, string outDir, Recipe recipe, bool planOnly, bool json, (string url, string? token)? farm)
    {
        if (farm is not null && recipe.Film.Enabled && recipe.Calibration.Charts.Length > 0)
            throw new UsageException("--farm with a film chart frame: make a roll profile first (imagespace film analyze / --roll on shared storage)");
        if (farm is null) InputFiles.CheckOutputFolder(outDir); // before any decode; a farm's folders are the workers'
        var pipeline = new Pipeline(recipe);
        var dataset = DatasetScanner.Scan(inputs, recipe.Grouping);
        foreach (var e in dataset.Errors) Console.Error.WriteLine($"error: {e}");
        var plan = BatchPlanner.Plan(dataset, outDir, recipe);
        if (planOnly)
        {
            foreach (var i in plan.Items) Console.WriteLine($"{i.Input} -> {i.Output}");
        }
        if (plan.Refused.Count > 0)
        {
            // Collisions and unsafe names stop the batch before anything is written.
            foreach (var f in plan.Refused) Console.Error.WriteLine($"error: {f.Input}: {f.Reason}");
            Console.Error.WriteLine($"error: {plan.Refused.Count} file(s) cannot be named safely; nothing was written");
            return Program.SomeFailed;
        }
        if (planOnly) return dataset.Errors.Count == 0 ? Program.Ok : Program.SomeFailed;
        if (recipe.Film.Enabled && recipe.Calibration.Charts.Length > 0)
        {
            // A chart frame of the roll: measured on the negative, fitted on the inverted patches, locked for every frame.
            try
            {
                var (roll, _) = Core.Film.FilmProcessor.CalibrateFromChart(recipe.Calibration.Charts[0], recipe.Film, recipe.Calibration.Reference, recipe.Decode);
                pipeline.Roll = roll;
                Console.Error.WriteLine($"note: roll calibrated from {recipe.Calibration.Charts[0]}: slopes {string.Join("/", roll.Gamma.Select(g => g.ToString("0.000")))}, " +
                                        $"{roll.Calibration!.Model} mean ΔE2000 {roll.Calibration.DeltaE.Mean:0.00}");
            }
            catch (Exception e) when (e is Core.Raw.RawDecodeException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Program.SomeFailed;
            }
            recipe = recipe with { Calibration = recipe.Calibration with { Charts = [] } };
        }
        // Calibrations are settled before anything is written: a group without one stops the batch.
        var calibration = CalibrationResolver.Resolve(dataset, recipe.Calibration);
        foreach (var n in calibration.Notes) Console.Error.WriteLine($"note: {n}");
        if (calibration.Errors.Count > 0)
        {
            foreach (var e in calibration.Errors) Console.Error.WriteLine($"error: {e}");
            Console.Error.WriteLine("error: calibration is incomplete; nothing was written");
            return Program.SomeFailed;
        }
        if (plan.Items.Count == 0)
        {
            Console.Error.WriteLine("error: nothing to process");
            return Program.UsageError;
        }

        if (farm is { } target) return FarmSubmit.Run(target.url, target.token, inputs, outDir, recipe, calibration.ByGroup, json);

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            if (!cts.IsCancellationRequested) Console.Error.WriteLine("Stopping: finishing the images in flight (Ctrl-C again to force)...");
            else Environment.Exit(130);
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var runner = new BatchRunner(pipeline, recipe.Batch.Threads, (long)recipe.Batch.MemoryMb << 20, calibration.ByGroup);
        int completed = 0;
        BatchResult result;
        if (json)
        {
            Emit(new { Event = "start", Total = plan.Items.Count, runner.Threads, MemoryBudgetMb = runner.MemoryBudget >> 20 });
            result = runner.Run(plan.Items, r => Emit(new
            {
                Event = "file", r.Item.Input, r.Item.Output, r.Item.Group, Status = r.Status.ToString().ToLowerInvariant(),
                r.Error, r.Warnings, Completed = Interlocked.Increment(ref completed), Total = plan.Items.Count, Seconds = Math.Round(r.Elapsed.TotalSeconds, 3),
            }), cts.Token);
        }
        else
        {
            result = null!;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{plan.Items.Count} image(s), {runner.Threads} thread(s)", maxValue: plan.Items.Count);
                    result = runner.Run(plan.Items, r =>
                    {
                        // Plain stderr, never wrapped: one line per failed file, for people and for scripts.
                        if (r.Status == ItemStatus.Failed) Console.Error.WriteLine($"error: {r.Item.Input}: {r.Error}");
                        foreach (var w in r.Warnings) Console.Error.WriteLine($"warning: {r.Item.Input}: {w}");
                        task.Increment(1);
                    }, cts.Token);
                });
        }
        Console.CancelKeyPress -= onCancel;
        int failed = result.Failures.Count + dataset.Errors.Count;
        int notStarted = plan.Items.Count - result.Done - result.Skipped - result.Failures.Count;
        if (json)
            Emit(new { Event = "end", result.Done, result.Skipped, Failed = failed, NotStarted = notStarted, Seconds = Math.Round(result.Elapsed.TotalSeconds, 2), ImagesPerMinute = Math.Round(result.ImagesPerMinute, 1), result.Cancelled });
        else
        {
            Console.WriteLine($"{result.Done} done, {result.Skipped} skipped, {failed} failed in {result.Elapsed.TotalSeconds:0.0} s ({result.ImagesPerMinute:0.#} images/min)");
            if (result.Cancelled) Console.WriteLine($"Cancelled: {notStarted} file(s) not started; run again with --skip-existing to resume.");
        }
        return failed == 0 && !result.Cancelled ? Program.Ok : Program.SomeFailed;
    }

    private static readonly object EmitLock = new();
    private static void Emit(object o)
    {
        lock (EmitLock) Console.WriteLine(JsonSerializer.Serialize(o, JsonLine));
    }
}
