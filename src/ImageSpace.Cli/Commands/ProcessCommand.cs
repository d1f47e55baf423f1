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
        var plan = new Option<bool>("--plan") { Description = "print the plan (each group's calibration and chart frame, the roll, input → output) and stop; with --json the plan as JSON" };
        var json = new Option<bool>("--json") { Description = "emit progress events as JSON lines on stdout" };
        var farm = new Option<string?>("--farm") { Description = "submit to a farm coordinator (URL) instead of processing here; paths must be on storage the workers share; the token comes from IMAGESPACE_TOKEN or ~/.config/imagespace/token" };
        var flags = new RecipeFlags();
        var cmd = new Command("process", "Process RAW files (or, in a folder without any, JPEG/TIFF/PNG scans): decode, then write JPEG/PNG/TIFF/EXR with colour space, ICC and EXIF.")
        { inputs, output, plan, json, farm };
        flags.AddTo(cmd);
        cmd.SetAction(pr => Run(pr.GetValue(inputs)!, pr.GetValue(output)!, flags.Build(pr), pr.GetValue(plan), pr.GetValue(json),
            pr.GetValue(farm) is { } url ? (url, null) : null));
        return cmd;
    }

    private static readonly JsonSerializerOptions JsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static int Run(string[] inputs, string outDir, Recipe recipe, bool planOnly, bool json, (string url, string? token)? farm)
    {
        // Ctrl-C while the plan is resolved (inputs listed, chart frames searched, rolls measured): nothing is written
        // yet, so stop at once, saying so, with the exit code of a cancelled batch (it died of the signal without a word).
        ConsoleCancelEventHandler whilePlanning = (_, e) =>
        {
            e.Cancel = true;
            if (json) Emit(new { Event = "end", Done = 0, Skipped = 0, Failed = 0, NotStarted = 0, Seconds = 0, ImagesPerMinute = 0, Cancelled = true });
            Console.Error.WriteLine("Stopped while planning; nothing was written.");
            Environment.Exit(Program.SomeFailed);
        };
        Console.CancelKeyPress += whilePlanning;
        if (farm is null) InputFiles.CheckOutputFolder(outDir); // before any decode; a farm's folders are the workers'
        // The kernels compile on the other core while the inputs are scanned and the plan resolved (issue 17).
        if (farm is null && !planOnly) KernelWarmup.Start(recipe, InputScanner.FirstRaw(inputs, recipe.Grouping));
        // One resolution for every front end: groups, calibrations, roll, white balance, multipliers, output names.
        var resolver = new PlanResolver { Progress = json || planOnly ? null : line => Console.Error.WriteLine($"  {line}") };
        PlanOutcome outcome;
        try { outcome = resolver.Resolve(inputs, outDir, recipe); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        var plan = outcome.Plan;
        foreach (var e in outcome.DatasetErrors) Console.Error.WriteLine($"error: {e}");
        if (planOnly)
        {
            if (json) Console.WriteLine(plan.ToJson());
            else PrintPlan(plan);
        }
        foreach (var n in plan.Notes) Console.Error.WriteLine($"note: {n}");
        if (outcome.Refused.Count > 0)
        {
            // Collisions and unsafe names stop the batch before anything is written.
            foreach (var f in outcome.Refused) Console.Error.WriteLine($"error: {f.Input}: {f.Reason}");
            Console.Error.WriteLine($"error: {outcome.Refused.Count} file(s) cannot be named safely; nothing was written");
            return Program.SomeFailed;
        }
        if (outcome.Errors.Count > 0)
        {
            // Calibrations are settled before anything is written: a group without one stops the batch.
            foreach (var e in outcome.Errors) Console.Error.WriteLine($"error: {e}");
            Console.Error.WriteLine("error: calibration is incomplete; nothing was written");
            return Program.SomeFailed;
        }
        if (planOnly) return outcome.DatasetErrors.Count == 0 ? Program.Ok : Program.SomeFailed;
        if (plan.Images.Length == 0)
        {
            Console.Error.WriteLine("error: nothing to process");
            return Program.UsageError;
        }

        if (farm is { } target) { Console.CancelKeyPress -= whilePlanning; return FarmSubmit.Run(target.url, target.token, plan, json); }
        // Every folder the outputs go to, not only -o: a group folder this user cannot write stopped the whole batch at
        // its lock file with the runtime's message.
        foreach (var folder in plan.Images.Select(i => Path.GetDirectoryName(i.Output)!).Distinct(StringComparer.Ordinal))
            InputFiles.CheckOutputFolder(folder);

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            if (!cts.IsCancellationRequested) Console.Error.WriteLine("Stopping: finishing the images in flight (Ctrl-C again to force)...");
            else
            {
                int removed = Core.Export.AtomicFile.AbandonInProgress();
                Core.Export.OutputLock.ReleaseAll();
                Console.Error.WriteLine($"Stopped at once: the images in flight were abandoned ({removed} temporary file(s) removed); run again with --skip-existing to resume.");
                Environment.Exit(130);
            }
            cts.Cancel();
        };
        Console.CancelKeyPress -= whilePlanning;
        Console.CancelKeyPress += onCancel;
        var runner = new BatchRunner(plan);
        int completed = 0;
        BatchResult result;
        if (json)
        {
            Emit(new { Event = "start", Total = plan.Images.Length, runner.Threads, MemoryBudgetMb = runner.MemoryBudget >> 20 });
            result = runner.Run(r => Emit(new
            {
                Event = "file", r.Item.Input, r.Item.Output, r.Item.Group, Status = r.Status.ToString().ToLowerInvariant(),
                r.Error, r.Warnings, Completed = Interlocked.Increment(ref completed), Total = plan.Images.Length, Seconds = Math.Round(r.Elapsed.TotalSeconds, 3),
                r.Stages,
            }), cts.Token);
        }
        else
        {
            result = null!;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{plan.Images.Length} image(s), {runner.Threads} thread(s)", maxValue: plan.Images.Length);
                    result = runner.Run(r =>
                    {
                        // Plain stderr, never wrapped: one line per failed file, for people and for scripts.
                        if (r.Status == ItemStatus.Failed) Console.Error.WriteLine($"error: {r.Item.Input}: {r.Error}");
                        foreach (var w in r.Warnings) Console.Error.WriteLine($"warning: {r.Item.Input}: {w}");
                        task.Increment(1);
                    }, cts.Token);
                });
        }
        Console.CancelKeyPress -= onCancel;
        int failed = result.Failures.Count + outcome.DatasetErrors.Count;
        int notStarted = plan.Images.Length - result.Done - result.Skipped - result.Failures.Count;
        if (json)
            Emit(new { Event = "end", result.Done, result.Skipped, Failed = failed, NotStarted = notStarted, Seconds = Math.Round(result.Elapsed.TotalSeconds, 2), ImagesPerMinute = Math.Round(result.ImagesPerMinute, 1), result.Cancelled });
        else
        {
            Console.WriteLine($"{result.Done} done, {result.Skipped} skipped, {failed} failed in {result.Elapsed.TotalSeconds:0.0} s ({result.ImagesPerMinute:0.#} images/min)");
            if (result.Cancelled) Console.WriteLine($"Cancelled: {notStarted} file(s) not started; run again with --skip-existing to resume.");
        }
        return failed == 0 && !result.Cancelled ? Program.Ok : Program.SomeFailed;
    }

    /// <summary>What --plan shows: each group's calibration and where it comes from, the roll, then input → output.</summary>
    private static void PrintPlan(RenderPlan plan)
    {
        foreach (var g in plan.Groups)
        {
            var c = plan.CalibrationOf(g.Name);
            string chart = g.ChartFrame is null ? "" : $", chart frame {g.ChartFrame}{(g.ChartConfidence is { } conf ? $" (found, confidence {conf:0.00})" : "")}";
            Console.WriteLine($"group {DatasetGroup.Display(g.Name)}: {g.Files} file(s), calibration: {g.Source}{chart}" +
                              (c is null ? "" : $", {c.Model}, mean ΔE2000 {c.DeltaE.Mean:0.00}"));
            if (g.Roll is { } own) PrintRoll($"roll of group {DatasetGroup.Display(g.Name)}", own);
        }
        if (plan.Roll is { } roll) PrintRoll("roll", roll);
        foreach (var i in plan.Images) Console.WriteLine($"{i.Input} -> {i.Output}");
    }

    private static void PrintRoll(string label, Core.Film.RollProfile roll) =>
        Console.WriteLine($"{label}: {roll.Source}, slopes {string.Join("/", roll.Gamma.Select(x => x.ToString("0.000")))}" +
                          (roll.Calibration is { } rc ? $", {rc.Model}, mean ΔE2000 {rc.DeltaE.Mean:0.00}" : ""));

    private static readonly object EmitLock = new();
    private static void Emit(object o)
    {
        lock (EmitLock) Console.WriteLine(JsonSerializer.Serialize(o, JsonLine));
    }
}
