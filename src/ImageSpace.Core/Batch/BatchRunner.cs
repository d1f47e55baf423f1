using System.Diagnostics;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Batch;

public enum ItemStatus { Done, Skipped, Failed }

public sealed record ItemResult(PlannedImage Item, ItemStatus Status, string? Error, TimeSpan Elapsed)
{
    /// <summary>A failure that another attempt would repeat (the file cannot be decoded, access is denied, a path is
    /// refused): not worth retrying. Input/output errors (a full disk, a network share away) may pass.</summary>
    public bool Permanent { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Where a done image's time went (null for skipped and failed ones).</summary>
    public ItemStages? Stages { get; init; }
}

/// <summary>Seconds of one image's stages: the LibRaw helper's unpack, demosaic (with the colour matrix when the
/// demosaic applies it), the rest of the render (operators, calibration, orientation), and the encode with its
/// metadata and atomic write. `process --json` reports them per file; the batch bench reads them.</summary>
public sealed record ItemStages(double Unpack, double Demosaic, double Render, double Encode);

public sealed record BatchResult(int Done, int Skipped, IReadOnlyList<BatchFailure> Failures, TimeSpan Elapsed, bool Cancelled, long PeakMemoryBytes)
{
    public double ImagesPerMinute => Done / Math.Max(Elapsed.TotalMinutes, 1e-9);
}

/// <summary>Executes a <see cref="RenderPlan"/> here: several images at once (threads), as many as the memory budget
/// allows; one file's failure is collected and the rest carry on; cancellation stops starting new files and lets the
/// ones in flight finish (outputs are atomic, so nothing half-written is ever left).</summary>
public sealed class BatchRunner(RenderPlan plan, int threads = 0, long memoryBudgetBytes = 0)
{
    private readonly Pipeline.Pipeline _pipeline = plan.NewPipeline();
    // Negatives of a group with its own chart frame are inverted with that group's roll; the other groups share one.
    private readonly Dictionary<string, Pipeline.Pipeline> _groupPipelines =
        plan.Groups.Where(g => g.Roll is not null).ToDictionary(g => g.Name, g => plan.NewPipeline(g.Name));
    public int Threads { get; } = threads > 0 ? threads : plan.Recipe.Batch.Threads > 0 ? plan.Recipe.Batch.Threads : Environment.ProcessorCount;
    public long MemoryBudget { get; } = memoryBudgetBytes > 0 ? memoryBudgetBytes : plan.Recipe.Batch.MemoryMb > 0 ? (long)plan.Recipe.Batch.MemoryMb << 20 : MemoryGate.DefaultBudget();

    /// <summary>The plan's images.</summary>
    public BatchResult Run(Action<ItemResult>? onItem = null, CancellationToken cancel = default) => Run(plan.Images, onItem, cancel);

    /// <summary>Some of the plan's images (a resumed or partial run).</summary>
    public BatchResult Run(IReadOnlyList<PlannedImage> items, Action<ItemResult>? onItem = null, CancellationToken cancel = default)
    {
        var sw = Stopwatch.StartNew();
        KernelWarmup.Start(plan.Recipe);
        BufferPriming.Start(items, Threads, plan.Recipe, MemoryBudget);
        // One run per output folder (a second one is refused); then sweep what dead runs left there.
        using var folders = Export.OutputLock.Acquire(items.Select(i => Path.GetDirectoryName(i.Output)!));
        // The batch's threads (and the loops they run) use this batch's degree; other work in the process keeps its own.
        using var degree = Imaging.Parallelism.Use(Threads);
        foreach (var dir in items.Select(i => Path.GetDirectoryName(i.Output)!).Distinct()) Export.AtomicFile.RemoveStaleTempFiles(dir);
        var gate = new MemoryGate(MemoryBudget);
        var failures = new List<BatchFailure>();
        int done = 0, skipped = 0, next = -1;
        int workerCount = Math.Min(Threads, Math.Max(1, items.Count));
        // Threads that still have an image: each image's pixel loops get the batch's threads divided among them. While
        // every thread has an image, its loops run on its thread alone (loops of the batch's degree in each image would
        // put threads² workers on the cores; issue 17, 2-thread scaling); a thread that runs out of images leaves its
        // core to the loops the last images start after that. Rounded up: with 4 threads and 3 still working, 1 each
        // would leave a core idle, 2 each puts at most 2 workers too many on the cores.
        int working = workerCount;
        int Share()
        {
            int w = Math.Max(1, Volatile.Read(ref working));
            return (Threads + w - 1) / w;
        }
        void Worker()
        {
            using var share = Imaging.Parallelism.Use(Share);
            try { Images(); }
            finally { Interlocked.Decrement(ref working); }
        }
        void Images()
        {
            while (!cancel.IsCancellationRequested)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= items.Count) return;
                var result = ProcessOne(_groupPipelines.GetValueOrDefault(items[i].Group) ?? _pipeline, items[i], plan.CalibrationOf(items[i].Group), gate, cancel);
                if (result is null) return; // cancelled while waiting for memory
                lock (failures)
                {
                    if (result.Status == ItemStatus.Done) done++;
                    else if (result.Status == ItemStatus.Skipped) skipped++;
                    else failures.Add(new(result.Item.Input, result.Error!));
                }
                onItem?.Invoke(result);
            }
        }
        var workers = Enumerable.Range(0, workerCount)
            .Select(_ => new Thread(Worker) { IsBackground = true, Name = "imagespace-batch" }).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return new BatchResult(done, skipped, failures, sw.Elapsed, cancel.IsCancellationRequested, gate.PeakInUse);
    }

    /// <summary>One image of a plan: existing-output rules, memory estimate and gate, render, encode; a bad file becomes a
    /// Failed result with its reason. Local batches and farm workers both run exactly this.</summary>
    /// <param name="pipeline">the pipeline of the image's group (<see cref="RenderPlan.NewPipeline"/>)</param>
    /// <param name="calibration">the calibration of the image's group (<see cref="RenderPlan.CalibrationOf"/>)</param>
    /// <returns>null when cancelled while waiting for memory.</returns>
    /// <param name="pixels">the input's pixel count when already known (saves starting the LibRaw helper once more)</param>
    public static ItemResult? ProcessOne(Pipeline.Pipeline pipeline, PlannedImage item, Calibration.CalibrationProfile? calibration, MemoryGate gate,
        CancellationToken cancel, long? pixels = null)
    {
        var export = pipeline.Recipe.Export;
        var sw = Stopwatch.StartNew();
        try
        {
            if (File.Exists(item.Output) && !export.Overwrite)
            {
                if (export.SkipExisting && OutputValidator.IsComplete(item.Output))
                    return new(item, ItemStatus.Skipped, null, sw.Elapsed);
                if (!export.SkipExisting)
                    return new(item, ItemStatus.Failed, $"output {item.Output} exists (use --overwrite to replace it, or --skip-existing to resume)", sw.Elapsed);
                // --skip-existing and the existing file is incomplete: redo it.
            }
            long bytes = MemoryGate.EstimateBytes(pixels ?? PixelCount(item.Input), pipeline.Recipe.Adjust.For(item.Input));
            if (!gate.Acquire(bytes, cancel)) return null;
            List<string> warnings;
            ItemStages stages;
            try
            {
                // exiftool prepares the output's metadata in its own process during the decode (issue 17).
                var metadata = Export.OutputEncoder.StartMetadata(item.Input, export);
                var started = sw.Elapsed;
                using var decoded = pipeline.Render(item.Input, calibration: calibration, exposureMultiplier: item.ExposureMultiplier);
                var rendered = sw.Elapsed;
                warnings = decoded.Warnings;
                pipeline.Encode(decoded, item.Output, metadata);
                var t = decoded.Timings;
                stages = new ItemStages(Round(t.Unpack), Round(t.Demosaic + t.Color),
                    Round(rendered - started - t.Unpack - t.Demosaic - t.Color), Round(sw.Elapsed - rendered));
            }
            finally { gate.Release(bytes); }
            return new(item, ItemStatus.Done, null, sw.Elapsed) { Warnings = warnings, Stages = stages };
        }
        catch (RawDecodeException e) { return new(item, ItemStatus.Failed, e.Reason, sw.Elapsed) { Permanent = true }; }
        catch (Exception e) when (e is UnauthorizedAccessException or InvalidDataException or ArgumentException or NotSupportedException
                                      or SixLabors.ImageSharp.ImageFormatException)
        {
            return new(item, ItemStatus.Failed, e is UnauthorizedAccessException ? $"permission denied ({e.Message})" : e.Message, sw.Elapsed) { Permanent = true };
        }
        catch (Exception e) when (e is IOException or OutOfMemoryException)
        {
            // A full disk by its name and the output it was writing (not the temporary file's name); retried on a farm.
            string reason = e is IOException { HResult: ENOSPC or EDQUOT } ? $"no space left on device writing {item.Output}" : e.Message;
            return new(item, ItemStatus.Failed, reason, sw.Elapsed);
        }
    }

    private static double Round(TimeSpan t) => Math.Round(t.TotalSeconds, 3);

    /// <summary>errno values (Linux) .NET puts in an IOException's HResult: no space left, disk quota exceeded.</summary>
    private const int ENOSPC = 28, EDQUOT = 122;

    /// <summary>Pixels of a RAW (from its metadata, without unpacking) or a photo (from its header).</summary>
    public static long PixelCount(string input)
    {
        if (Raw.ImageLoader.IsPhoto(input))
        {
            var info = SixLabors.ImageSharp.Image.Identify(input) ?? throw new InvalidDataException($"cannot read {input}");
            return (long)info.Width * info.Height;
        }
        var meta = RawDecoder.ReadMetadata(input);
        return (long)meta.Width * meta.Height;
    }
}
