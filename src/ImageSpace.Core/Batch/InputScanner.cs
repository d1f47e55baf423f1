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

    /// <summary>The first RAW file among <paramref name="inputs"/> (a file given by name, or the first one a folder
    /// holds, searched lazily), or null: a sample to warm up on before the scan has finished (<see cref="KernelWarmup"/>).
    /// Unreadable folders are passed over; the scan reports them.</summary>
    public static string? FirstRaw(IEnumerable<string> inputs)
    {
        foreach (var input in inputs)
        {
            try
            {
                if (File.Exists(input)) return RawExtensions.Contains(Path.GetExtension(input)) ? input : null;
                if (!Directory.Exists(input)) continue;
                var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden };
                var raw = Directory.EnumerateFiles(input, "*", options).FirstOrDefault(f => RawExtensions.Contains(Path.GetExtension(f)));
                if (raw is not null) return raw;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }
}
