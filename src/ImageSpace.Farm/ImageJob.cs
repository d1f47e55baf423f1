using System.Diagnostics;
using System.Text.Json;
using Hangfire;
using Hangfire.Server;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Calibration;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Farm;

/// <summary>A failed image: Hangfire retries it (bounded), then the batch reports it.</summary>
public sealed class ImageFailedException(string message) : Exception(message);

/// <summary>The job a worker runs for one image: the same <see cref="BatchRunner.ProcessOne"/> as a local batch.
/// Runs at least once; running twice (a worker died after writing, or its job timed out) leaves the same single
/// valid file, since outputs are renamed into place whole and a complete output is kept.</summary>
public sealed class ImageJob
{
    /// <summary>Attempts per image: the first and two retries, a few seconds apart. A file that cannot be decoded fails
    /// the same way each time, so more retries would only delay the report.</summary>
    public const int Attempts = 3;

    /// <summary>Deletes what an earlier, dead attempt of this job left of its output (temporary files, exiftool's
    /// too): only one attempt of a job runs at a time, and no other run writes into the folder (the coordinator refuses
    /// overlapping batches and folders a local run holds). A file whose writer is a live process on this machine is
    /// still left alone: it is not ours.</summary>
    private static void RemoveDeadAttemptsOf(string output)
    {
        string dir = Path.GetDirectoryName(output)!;
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.EnumerateFiles(dir, $".{Path.GetFileNameWithoutExtension(output)}{Core.Export.AtomicFile.TempMarker}*"))
        {
            string writer = Core.Export.AtomicFile.WriterOf(f);
            bool liveHere = writer.StartsWith(Core.Export.RunId.Make(Environment.MachineName, 0, 0).Split('_')[0] + "_", StringComparison.Ordinal)
                            && writer != Core.Export.RunId.Current && !Core.Export.RunId.IsDead(writer);
            if (liveHere) continue;
            try { File.Delete(f); } catch (IOException) { }
        }
    }

    [AutomaticRetry(Attempts = Attempts - 1, DelaysInSeconds = [2, 5], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public void Process(FarmJobSpec spec, PerformContext? context, CancellationToken cancel)
    {
        var worker = FarmWorker.Current ?? throw new InvalidOperationException("this process is not a farm worker");
        int attempt = (context?.GetJobParameter<int>("RetryCount") ?? 0) + 1;
        var sw = Stopwatch.StartNew();
        var state = new ItemState { Input = spec.Input, Output = spec.Output, Worker = worker.Name, Attempt = attempt };
        void Report(ItemState s) => FarmRecords.SetItem(worker.Storage, spec.BatchId, spec.Index, s);
        string reason;
        bool permanent;
        try
        {
            string input = worker.Paths.Resolve(spec.InputRoot, spec.Input, "input");
            string output = worker.Paths.Resolve(spec.OutputRoot, spec.Output, "output");
            Report(state with { Status = "running" });
            RemoveDeadAttemptsOf(output);
            var recipe = Recipe.FromJson(spec.Recipe);
            recipe.Validate();
            // A complete output from an earlier run of this job is kept (not an error): that is what makes a second run
            // harmless. With overwrite on, it is rendered again and renamed over the old one, whole.
            recipe = recipe with { Export = recipe.Export with { SkipExisting = !recipe.Export.Overwrite } };
            var calibration = spec.Calibration is null ? null : JsonSerializer.Deserialize<CalibrationProfile>(spec.Calibration, CalibrationProfile.Json);
            var roll = spec.Roll is null ? null : JsonSerializer.Deserialize<Core.Film.RollProfile>(spec.Roll, CalibrationProfile.Json);
            Interlocked.Increment(ref worker.Busy);
            ItemResult? result;
            try
            {
                // Each image's own parallel loops use this worker's threads only, so N workers of 1 thread share a machine.
                using var degree = Core.Imaging.Parallelism.Use(worker.Threads);
                // The plan's image as the submitter resolved it: its recipe, its group's calibration, the roll, its multiplier.
                result = BatchRunner.ProcessOne(new Pipeline(recipe) { Roll = roll }, new PlannedImage(input, output, spec.Group, spec.ExposureMultiplier),
                    calibration, worker.Gate, cancel, spec.Pixels);
            }
            finally { Interlocked.Decrement(ref worker.Busy); }
            if (result is null)
            {
                // The worker is stopping: Hangfire puts the job back at the head of its queue for another worker.
                Report(state with { Status = "queued", Error = $"handed back by {worker.Name} (stopping)" });
                throw new OperationCanceledException("the worker is stopping");
            }
            if (result.Status != ItemStatus.Failed)
            {
                Interlocked.Increment(ref worker.Done);
                Report(state with
                {
                    Status = result.Status == ItemStatus.Skipped ? "skipped" : "done",
                    Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
                    FinishedUtc = DateTime.UtcNow,
                    Error = result.Warnings.Count > 0 ? string.Join("; ", result.Warnings) : null,
                });
                return;
            }
            reason = result.Error ?? "failed";
            permanent = result.Permanent;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or ArgumentException or JsonException)
        {
            (reason, permanent) = (e.Message, true); // a path refused, access denied, a damaged job: the same next time
        }
        catch (IOException e)
        {
            (reason, permanent) = (e.Message, false);
        }
        // A failure another attempt would repeat is reported at once (not retried 3 × ~7 s); the others are retried.
        bool last = permanent || attempt >= Attempts;
        if (permanent)
        {
            Report(state with { Status = "failed", Error = reason, Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3), FinishedUtc = DateTime.UtcNow });
            return;
        }
        Report(state with { Status = last ? "failed" : "retrying", Error = reason, Seconds = Math.Round(sw.Elapsed.TotalSeconds, 3), FinishedUtc = last ? DateTime.UtcNow : null });
        throw new ImageFailedException($"{spec.Input}: {reason}");
    }
}
