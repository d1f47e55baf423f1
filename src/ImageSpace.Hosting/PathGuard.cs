namespace ImageSpace.Hosting;

/// <summary>Every file the UI reads or writes must lie inside one of the folders the user opened (symbolic links
/// resolved), so a page, or anyone who reaches the port, cannot wander the disk.</summary>
public sealed class PathGuard
{
    private readonly List<string> _roots = [];

    public IReadOnlyList<string> Roots { get { lock (_roots) return _roots.ToList(); } }

    public void AddRoot(string folder)
    {
        var full = Resolve(folder);
        if (!Directory.Exists(full)) throw new ArgumentException($"{folder}: no such folder");
        lock (_roots) if (!_roots.Contains(full)) _roots.Add(full);
    }

    /// <summary>The full, link-resolved path if it lies inside a root; otherwise an <see cref="UnauthorizedAccessException"/>.</summary>
    public string Check(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UnauthorizedAccessException("no path given");
        var full = Resolve(path);
        lock (_roots)
            if (_roots.Any(r => full == r || full.StartsWith(r.EndsWith(Path.DirectorySeparatorChar) ? r : r + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                return full;
        throw new UnauthorizedAccessException($"{path} is outside the opened folders");
    }

    /// <summary>Absolute path with every existing symbolic link along it replaced by its target.</summary>
    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        // Resolve links on the longest existing prefix; the rest (a file to be created) is appended as written.
        var existing = full;
        var tail = new Stack<string>();
        while (!File.Exists(existing) && !Directory.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) return full;
            tail.Push(Path.GetFileName(existing));
            existing = parent;
        }
        string resolved = existing;
        var parts = existing.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        resolved = Path.DirectorySeparatorChar.ToString();
        foreach (var part in parts)
        {
            resolved = Path.Combine(resolved, part);
            FileSystemInfo info = Directory.Exists(resolved) ? new DirectoryInfo(resolved) : new FileInfo(resolved);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(true) is { } target) resolved = target.FullName;
        }
        while (tail.Count > 0) resolved = Path.Combine(resolved, tail.Pop());
        return Path.GetFullPath(resolved);
    }
}
