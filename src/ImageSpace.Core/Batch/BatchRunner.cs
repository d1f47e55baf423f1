using ImageSpace.Core.Export;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Batch;

public sealed record BatchItem(string Input, string Output);
public sealed record BatchFailure(string Input, string Reason);
public sealed record BatchResult(int Done, int Skipped, IReadOnlyList<BatchFailure> Failures, TimeSpan Elapsed)
{
    public int ExitCode => Failures.Count == 0 ? 0 : 1;
}

/// <summary>Runs the pipeline over many files: one file's failure is reported and the rest carry on.</summary>
public static class BatchRunner
{
    /// <summary>Maps each input to its output (OUTDIR/subfolder/stem.ext, subfolders mirrored from the folder
    /// given). Two inputs that would write the same output, or an output that is an input, are refused here, before
    /// anything is written.</summary>
    public static (List<BatchItem> items, List<BatchFailure> refused) Plan(
        IReadOnlyList<InputScanner.ScannedInput> inputs, string outDir, string extension)
    {
        var items = new List<BatchItem>();
        var refused = new List<BatchFailure>();
        var byOutput = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var inputSet = inputs.Select(i => Path.GetFullPath(i.Path)).ToHashSet(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            string rel = Path.GetRelativePath(input.Root, Path.GetDirectoryName(Path.GetFullPath(input.Path))!);
            string name = Path.GetFileNameWithoutExtension(input.Path) + extension;
            string output = Path.GetFullPath(Path.Combine(outDir, rel == "." ? "" : rel, name));
            if (inputSet.Contains(output) || AtomicFile.SameFile(output, input.Path))
                refused.Add(new(input.Path, $"output {output} would overwrite an input"));
            else if (byOutput.TryGetValue(output, out var other))
                refused.Add(new(input.Path, $"output {output} is also the output of {other}"));
            else
            {
                byOutput[output] = input.Path;
                items.Add(new(input.Path, output));
            }
        }
        return (items, refused);
    }

    public static BatchResult Run(IReadOnlyList<BatchItem> items, Pipeline.Pipeline pipeline,
        Action<BatchItem, string?>? onItemDone = null, CancellationToken cancel = default)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var failures = new List<BatchFailure>();
        int done = 0, skipped = 0;
        foreach (var item in items)
        {
            if (cancel.IsCancellationRequested) break;
            string? error = null;
            try
            {
                if (File.Exists(item.Output) && !pipeline.Recipe.Export.Overwrite)
                    error = $"output {item.Output} exists (use --overwrite to replace it)";
                else
                {
                    using var decoded = pipeline.Render(item.Input);
                    pipeline.Encode(decoded, item.Output);
                    done++;
                }
            }
            catch (RawDecodeException e) { error = e.Reason; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or OutOfMemoryException)
            {
                error = e.Message;
            }
            if (error is not null) failures.Add(new(item.Input, error));
            onItemDone?.Invoke(item, error);
        }
        return new BatchResult(done, skipped, failures, sw.Elapsed);
    }
}
