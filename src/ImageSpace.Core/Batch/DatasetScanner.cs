using System.Text.RegularExpressions;
using ImageSpace.Core.Export;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Core.Batch;

public sealed record DatasetFile(string Path, string Root, string RelativePath, string Group);
public sealed record DatasetGroup(string Name, IReadOnlyList<DatasetFile> Files)
{
    public string DisplayName => Display(Name);
    /// <summary>How a group is named to the user (files directly in an input folder form the "" group).</summary>
    public static string Display(string group) => group.Length == 0 ? "(root)" : group;
}
public sealed record Dataset(IReadOnlyList<DatasetGroup> Groups, IReadOnlyList<string> Errors, int Ignored)
{
    /// <summary>JPEG/TIFF/PNG files in input folders that hold RAW files, which are therefore not taken (they are
    /// usually a RAW batch's own outputs).</summary>
    public int PhotosBesideRaws { get; init; }

    public IEnumerable<DatasetFile> Files => Groups.SelectMany(g => g.Files);
}

/// <summary>Finds RAW files (or, in a folder without any, JPEG/TIFF/PNG scans) under the inputs (folders recursively; files given by name are always taken) and groups
/// them: by subfolder (each folder below an input is a group; files directly in it form the "" group), by filename
/// prefix (text before the first separator; files without it form the "" group), or not at all. Order is stable:
/// groups and files in natural order ("IMG_2" before "IMG_10").</summary>
public static class DatasetScanner
{
    public static Dataset Scan(IEnumerable<string> inputs, GroupingOptions grouping)
    {
        var ignore = grouping.Ignore.Select(Glob).ToList();
        var errors = new List<string>();
        var files = new List<DatasetFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int ignored = 0, photosBesideRaws = 0;
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                string root = Path.GetFullPath(input);
                int refusedBefore = errors.Count;
                var all = FilesUnder(root, errors).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList();
                // RAW files; a folder without any is a folder of scans (JPEG/TIFF/PNG).
                var raws = all.Where(f => InputScanner.RawExtensions.Contains(Path.GetExtension(f))).ToList();
                var photos = all.Where(f => InputScanner.PhotoExtensions.Contains(Path.GetExtension(f))).ToList();
                var taken = raws.Count > 0 ? raws : photos;
                if (raws.Count > 0) photosBesideRaws += photos.Count;
                foreach (var f in taken)
                {
                    if (seen.Contains(f)) continue; // listed through an earlier input already
                    string name = Path.GetFileName(f);
                    string rel = Path.GetRelativePath(root, f).Replace('\\', '/');
                    if (ignore.Any(rx => rx.IsMatch(name) || rx.IsMatch(rel))) { ignored++; continue; }
                    if (LinkOutside(f, root) is { } refusal) { errors.Add(refusal); continue; }
                    seen.Add(f);
                    files.Add(new DatasetFile(f, root, rel, GroupOf(rel, grouping)));
                }
                // Only a folder without any: one whose files were all ignored, or already listed through an earlier input
                // (a folder and its subfolder both given), is not an error.
                if (taken.Count == 0 && errors.Count == refusedBefore) errors.Add($"{input}: no RAW files (nor JPEG/TIFF scans) in this folder");
            }
            else if (File.Exists(input))
            {
                string full = Path.GetFullPath(input);
                string rel = Path.GetFileName(full);
                if (LinkOutside(full, Path.GetDirectoryName(full)!) is { } refusal) errors.Add(refusal);
                else if (seen.Add(full)) files.Add(new DatasetFile(full, Path.GetDirectoryName(full)!, rel, GroupOf(rel, grouping)));
            }
            else errors.Add($"{input}: no such file or folder");
        }
        // Sorted once; GroupBy keeps the order in which it meets the groups and, within a group, the files' order.
        var groups = files.Order(PlanOrder).GroupBy(f => f.Group).Select(g => new DatasetGroup(g.Key, g.ToList())).ToList();
        return new Dataset(groups, errors, ignored) { PhotosBesideRaws = photosBesideRaws };
    }

    /// <summary>Every file below <paramref name="root"/>, without entering linked folders: a link to a folder inside
    /// the root lists nothing new (its files are found under their own path), one outside it would take files from
    /// elsewhere, and a link loop would list the same files again and again (issue 15: 41 times). Links to folders
    /// outside are reported; unreadable folders are skipped.</summary>
    private static IEnumerable<string> FilesUnder(string root, List<string> errors)
    {
        var pending = new Stack<string>([root]);
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };
        string realRoot = RealPath.Of(root) ?? root;
        while (pending.Count > 0)
        {
            var dir = new DirectoryInfo(pending.Pop());
            foreach (var e in dir.EnumerateFileSystemInfos("*", options))
            {
                if (e.LinkTarget is not null && Directory.Exists(e.FullName))
                {
                    string? target = RealPath.Of(e.FullName);
                    if (target is null || !RealPath.IsInside(target, realRoot))
                        errors.Add($"{e.FullName}: a link to the folder {target ?? e.LinkTarget} outside the input folder; not followed (give that folder as an input)");
                    continue;
                }
                if (e is DirectoryInfo) pending.Push(e.FullName);
                else yield return e.FullName;
            }
        }
    }

    /// <summary>The refusal of an input that is a link to a file outside its input folder (it could hand another
    /// user's private file to a batch), or null when the file's real path is inside.</summary>
    private static string? LinkOutside(string file, string root)
    {
        string? real = RealPath.Of(file);
        if (real is null) return $"{file}: a link whose target does not exist";
        string realRoot = RealPath.Of(root) ?? root;
        return RealPath.IsInside(real, realRoot) ? null : $"{file}: a link to {real}, outside the input folder; refused (give the file itself)";
    }

    internal static string GroupOf(string relativePath, GroupingOptions g)
    {
        switch (g.By)
        {
            case "subfolder":
                int slash = relativePath.LastIndexOf('/');
                return slash < 0 ? "" : relativePath[..slash];
            case "prefix":
                string stem = Path.GetFileNameWithoutExtension(relativePath);
                int at = stem.IndexOf(g.Separator, StringComparison.Ordinal);
                return at <= 0 ? "" : stem[..at];
            default:
                return "";
        }
    }

    /// <summary>The plan's order of files: groups, then relative paths, both in natural order (not the file system's).
    /// <see cref="InputScanner.FirstRaw"/> uses it too, to guess the batch's first file before the scan.</summary>
    internal static readonly IComparer<DatasetFile> PlanOrder = Comparer<DatasetFile>.Create((a, b) =>
        NaturalComparer.Instance.Compare(a.Group, b.Group) is var byGroup and not 0 ? byGroup : NaturalComparer.Instance.Compare(a.RelativePath, b.RelativePath));

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

/// <summary>Compares strings with digit runs as numbers ("IMG_2" &lt; "IMG_10"), then ordinally.</summary>
public sealed class NaturalComparer : IComparer<string>
{
    public static readonly NaturalComparer Instance = new();

    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return string.CompareOrdinal(a, b);
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                string na = a[si..i].TrimStart('0'), nb = b[sj..j].TrimStart('0');
                int c = na.Length != nb.Length ? na.Length.CompareTo(nb.Length) : string.CompareOrdinal(na, nb);
                if (c != 0) return c;
            }
            else
            {
                int c = char.ToLowerInvariant(a[i]).CompareTo(char.ToLowerInvariant(b[j]));
                if (c != 0) return c;
                i++; j++;
            }
        }
        int rest = (a.Length - i).CompareTo(b.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(a, b);
    }
}
