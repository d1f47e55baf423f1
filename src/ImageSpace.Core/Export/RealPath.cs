using System.Runtime.InteropServices;

namespace ImageSpace.Core.Export;

/// <summary>Paths with every symbolic link resolved (realpath(3)), for the checks that must not be fooled by links:
/// inputs outside their input folder, outputs outside the output folder (issue 15).</summary>
public static class RealPath
{
    /// <summary>The canonical path of an existing file or folder, or null when it does not exist (or a link in it
    /// dangles or loops).</summary>
    public static string? Of(string path)
    {
        IntPtr p = NativeRealPath(Path.GetFullPath(path), IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }

    /// <summary>Where <paramref name="path"/> would land if written now: the real path of its deepest existing
    /// ancestor joined with the part that does not exist yet (that part cannot hold links).</summary>
    public static string OfFuture(string path)
    {
        string full = Path.GetFullPath(path), rest = "";
        for (string? at = full; at is not null; at = Path.GetDirectoryName(at))
        {
            if (Of(at) is { } real) return rest.Length == 0 ? real : Path.Combine(real, rest);
            rest = rest.Length == 0 ? Path.GetFileName(at) : Path.Combine(Path.GetFileName(at), rest);
        }
        return full;
    }

    /// <summary>The real paths of existing files (a missing one by its full path), to hold against
    /// <see cref="OfFuture"/> of each output: an output folder given through a link to the input folder, or inputs
    /// given through one, must not let an output replace an input.</summary>
    public static HashSet<string> OfAll(IEnumerable<string> paths) =>
        paths.Select(p => Of(p) ?? Path.GetFullPath(p)).ToHashSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies below it (both real paths).</summary>
    public static bool IsInside(string path, string root)
    {
        if (path == root) return true;
        string withSep = root.EndsWith('/') ? root : root + "/";
        return path.StartsWith(withSep, StringComparison.Ordinal);
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr NativeRealPath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr p);
}
