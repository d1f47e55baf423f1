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
    /// comes first in the plan's order: groups, then relative paths, both in natural order; not the file system's), or
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
                var raws = Directory.EnumerateFiles(input, "*", options).Where(f => RawExtensions.Contains(Path.GetExtension(f)))
                    .Select(f => (path: f, relative: Path.GetRelativePath(input, f).Replace('\\', '/'))).ToList();
                if (raws.Count > 0) return raws.MinBy(f => (DatasetScanner.GroupOf(f.relative, grouping), f.relative), PlanOrder).path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }

    private static readonly IComparer<(string group, string relative)> PlanOrder = Comparer<(string group, string relative)>.Create((a, b) =>
        NaturalComparer.Instance.Compare(a.group, b.group) is var byGroup and not 0 ? byGroup : NaturalComparer.Instance.Compare(a.relative, b.relative));
}
