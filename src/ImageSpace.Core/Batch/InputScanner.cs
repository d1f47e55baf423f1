namespace ImageSpace.Core.Batch;

/// <summary>The RAW formats LibRaw reads, by extension (folders are searched for these; files given by name are
/// always tried, whatever their extension).</summary>
public static class InputScanner
{
    public static readonly HashSet<string> RawExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".dng", ".nef", ".nrw", ".cr2", ".cr3", ".crw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2", ".rwl",
        ".pef", ".ptx", ".srw", ".x3f", ".3fr", ".fff", ".iiq", ".mos", ".mef", ".mrw", ".erf", ".kdc", ".dcr",
        ".dcs", ".raw", ".gpr", ".cap", ".ari", ".bay", ".k25", ".mdc",
    };

    /// <summary>Scans as photos (film scans, camera JPEGs): a folder is searched for these only when it holds no RAW
    /// file, so the JPEG/TIFF outputs of a RAW batch written below its input folder are not taken as inputs.</summary>
    public static readonly HashSet<string> PhotoExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".tif", ".tiff", ".png" };

    /// <summary>The first RAW file among <paramref name="inputs"/> (a file given by name, or the one of a folder that
    /// comes first in the plan's order, <see cref="DatasetScanner.PlanOrder"/>), or
    /// null: the file the batch will most likely start with, to warm up on and unpack before the scan has finished
    /// (<see cref="KernelWarmup"/>). Unreadable folders are passed over; the scan reports them.</summary>
    public static string? FirstRaw(IEnumerable<string> inputs, Pipeline.GroupingOptions? grouping = null)
    {
        grouping ??= new Pipeline.GroupingOptions();
        foreach (var input in inputs)
        {
            try
            {
                if (File.Exists(input)) return RawExtensions.Contains(Path.GetExtension(input)) ? input : null;
                if (!Directory.Exists(input)) continue;
                var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden };
                var first = Directory.EnumerateFiles(input, "*", options).Where(f => RawExtensions.Contains(Path.GetExtension(f)))
                    .Select(f =>
                    {
                        string rel = Path.GetRelativePath(input, f).Replace('\\', '/');
                        return new DatasetFile(f, input, rel, DatasetScanner.GroupOf(rel, grouping));
                    })
                    .Min(DatasetScanner.PlanOrder);
                if (first is not null) return first.Path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }
}
