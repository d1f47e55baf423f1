namespace ImageSpace.Core.Batch;

/// <summary>Turns command-line inputs (files and folders) into the list of RAW files to process.</summary>
public static class InputScanner
{
    /// <summary>Extensions of the RAW formats LibRaw reads (folders are searched for these; files given by name are
    /// always tried, whatever their extension).</summary>
    public static readonly HashSet<string> RawExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".dng", ".nef", ".nrw", ".cr2", ".cr3", ".crw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2", ".rwl",
        ".pef", ".ptx", ".srw", ".x3f", ".3fr", ".fff", ".iiq", ".mos", ".mef", ".mrw", ".erf", ".kdc", ".dcr",
        ".dcs", ".raw", ".gpr", ".cap", ".ari", ".bay", ".k25", ".mdc", ".nksc",
    };

    public sealed record Scan(IReadOnlyList<ScannedInput> Files, IReadOnlyList<string> Errors);
    /// <param name="Root">The folder the file was found under (its own folder when given by name).</param>
    public sealed record ScannedInput(string Path, string Root);

    public static Scan Expand(IEnumerable<string> inputs)
    {
        var files = new List<ScannedInput>();
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
                    .Where(f => RawExtensions.Contains(System.IO.Path.GetExtension(f)) && !System.IO.Path.GetFileName(f).StartsWith('.'))
                    .OrderBy(f => f, StringComparer.Ordinal).ToList();
                if (found.Count == 0) errors.Add($"{input}: no RAW files in this folder");
                foreach (var f in found)
                    if (seen.Add(System.IO.Path.GetFullPath(f))) files.Add(new(f, input));
            }
            else if (File.Exists(input))
            {
                if (seen.Add(System.IO.Path.GetFullPath(input))) files.Add(new(input, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(input))!));
            }
            else errors.Add($"{input}: no such file or folder");
        }
        return new Scan(files, errors);
    }
}
