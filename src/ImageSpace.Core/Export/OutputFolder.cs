using System.Runtime.InteropServices;

namespace ImageSpace.Core.Export;

/// <summary>The output folder is checked before anything is decoded (issue 15: a read-only folder was found only
/// after every image had been decoded; "-o ''" and "-o FILE" gave .NET's messages).</summary>
public static class OutputFolder
{
    /// <summary>Throws an <see cref="ArgumentException"/> with one line when <paramref name="outDir"/> is empty, is a
    /// file, lies below a file, or is (or would be created in) a folder this user cannot write. Creates nothing.</summary>
    public static void Check(string outDir)
    {
        if (string.IsNullOrWhiteSpace(outDir)) throw new ArgumentException("the output folder is an empty path");
        string full = Path.GetFullPath(outDir);
        string existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new ArgumentException(existing == full ? $"{outDir}: is a file, not a folder" : $"{outDir}: cannot be created, {existing} is a file");
            existing = Path.GetDirectoryName(existing) ?? throw new ArgumentException($"{outDir}: no existing folder above it");
        }
        // access(2) asks the kernel with this user's permissions, read-only mounts included (EROFS).
        if (Access(existing, WriteOk | ExecuteOk) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string why = errno switch { 30 => "is on a read-only file system", 13 or 1 => "is not writable by this user", _ => $"is not writable ({Marshal.GetPInvokeErrorMessage(errno)})" };
            throw new ArgumentException(existing == full ? $"{outDir}: the output folder {why}" : $"{outDir}: cannot be created, {existing} {why}");
        }
    }

    /// <summary>Whether this user may create files in the existing folder <paramref name="folder"/>.</summary>
    public static bool IsWritable(string folder) => Access(folder, WriteOk | ExecuteOk) == 0;

    private const int WriteOk = 2, ExecuteOk = 1;

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    private static extern int Access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
