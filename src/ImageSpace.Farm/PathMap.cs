using ImageSpace.Core.Export;

namespace ImageSpace.Farm;

/// <summary>Maps the batch's roots (as the coordinator saw them) to this worker's mount points, and checks that every
/// path a job names stays inside its root: a job is data from the database, and must not make a worker read or write
/// anywhere else.</summary>
public sealed class PathMap
{
    private readonly List<(string from, string to)> _maps = [];
    private readonly string[] _roots;

    /// <param name="maps">"FROM=TO" pairs, e.g. "/mnt/studio=/Volumes/studio" or "/mnt/studio=\\\\nas\\studio".</param>
    /// <param name="roots">the folders this worker may read and write below (its own allow-list, links resolved: a job
    /// is data from the database, and whoever can write there must not steer the worker elsewhere); none = any</param>
    public PathMap(IEnumerable<string> maps, IEnumerable<string>? roots = null)
    {
        _roots = (roots ?? []).Select(r => RealPath.OfFuture(r)).ToArray();
        foreach (var m in maps)
        {
            int eq = m.IndexOf('=');
            if (eq <= 0 || eq == m.Length - 1) throw new ArgumentException($"--path-map '{m}' is not FROM=TO");
            _maps.Add((Trim(m[..eq]), Trim(m[(eq + 1)..])));
        }
        // Longest prefix first, so /mnt/a/b=… wins over /mnt/a=….
        _maps.Sort((a, b) => b.from.Length.CompareTo(a.from.Length));
    }

    private static string Trim(string p) => p.Length > 1 ? p.TrimEnd('/', '\\') : p;

    public string MapRoot(string root)
    {
        string r = Trim(root);
        foreach (var (from, to) in _maps)
            if (r == from || r.StartsWith(from + "/", StringComparison.Ordinal) || r.StartsWith(from + "\\", StringComparison.Ordinal))
                return to + r[from.Length..].Replace('/', Path.DirectorySeparatorChar).Replace('\\', Path.DirectorySeparatorChar);
        return r;
    }

    /// <summary>ROOT/RELATIVE on this machine; refused when RELATIVE is absolute or climbs out of ROOT.</summary>
    public string Resolve(string root, string relative, string what)
    {
        if (string.IsNullOrEmpty(relative) || Path.IsPathRooted(relative) || relative.StartsWith('\\') || relative.Contains(':'))
            throw new UnauthorizedAccessException($"{what} '{relative}' is not a path relative to the batch's root");
        string mappedRoot = Path.GetFullPath(MapRoot(root));
        string full = Path.GetFullPath(Path.Combine(mappedRoot, relative.Replace('\\', '/').Replace('/', Path.DirectorySeparatorChar)));
        string prefix = mappedRoot.EndsWith(Path.DirectorySeparatorChar) ? mappedRoot : mappedRoot + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new UnauthorizedAccessException($"{what} '{relative}' leaves the batch's root {mappedRoot}");
        // A link anywhere inside the root (the file itself, or any folder above it) must not lead out of it either: the
        // real paths are compared, every link resolved, on the part that exists (what does not exist yet holds no link).
        string realRoot = RealPath.OfFuture(mappedRoot), real = RealPath.OfFuture(full);
        if (_roots.Length > 0 && !_roots.Any(r => RealPath.IsInside(real, r)))
            throw new UnauthorizedAccessException($"{what} {real} is outside this worker's --root folders ({string.Join(", ", _roots)})");
        if (!RealPath.IsInside(real, realRoot))
            throw new UnauthorizedAccessException($"{what} '{relative}' leads out of the batch's root through a link (to {real})");
        return full;
    }
}
