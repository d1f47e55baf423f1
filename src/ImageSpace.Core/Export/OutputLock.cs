using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageSpace.Core.Export;

/// <summary>A second run writing into a folder another run is writing into is refused (issue 15: its start-up sweep
/// deleted the first run's temporary files, both rendered the same images, and outputs were replaced without
/// --overwrite). One advisory lock (flock(2)) per output folder, taken before anything is swept or written there and
/// held for the whole run. The kernel drops it when the process dies, however it dies, so a killed run never leaves a
/// folder locked.
///
/// The lock file, <see cref="FileName"/>, is removed at the end of a run so that output folders hold only outputs. The
/// usual hazard of deleting a lock file (a waiter locks the old, deleted file while a newcomer locks a new one) is
/// closed the usual way: the file is deleted only by its holder, and a run that got the lock checks that the file it
/// locked is still the one at that path, else it tries again.</summary>
public sealed class OutputLock : IDisposable
{
    public const string FileName = ".imagespace.lock";

    private readonly List<(string Path, FileStream Stream)> _held = [];
    /// <summary>Folders this lock created, deepest first: removed again at the end when the run left them empty.</summary>
    private readonly List<string> _created = [];

    private OutputLock() { }

    /// <summary>Locks every folder of <paramref name="folders"/> (created when missing), in one order so two runs
    /// cannot each hold a part. Throws <see cref="OutputFolderBusyException"/> when another run holds one and it is not
    /// released within <paramref name="wait"/>.</summary>
    public static OutputLock Acquire(IEnumerable<string> folders, TimeSpan wait = default)
    {
        var result = new OutputLock();
        try
        {
            foreach (var folder in folders.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                result._held.Add((Path.Combine(folder, FileName), LockOne(folder, wait, result._created)));
            Live.TryAdd(result, 0);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static FileStream LockOne(string folder, TimeSpan wait, List<string> created)
    {
        string path = Path.Combine(folder, FileName);
        var until = DateTime.UtcNow + wait;
        int replaced = 0;
        while (true)
        {
            // Again each time: the run we waited for may have removed them, empty, even while we look. Each missing
            // level is created (and recorded) by us, top down; one removed under us makes the open below fail, and we
            // come round again.
            var missing = new Stack<string>();
            for (var d = folder; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Push(d);
            foreach (var d in missing)
            {
                Directory.CreateDirectory(d);
                if (!created.Contains(d)) created.Add(d);
            }
            if (new FileInfo(path).LinkTarget is not null)
                throw new IOException($"{path}: the lock file is a symbolic link; remove it");
            FileStream? fs;
            // FileShare.None: .NET takes flock(LOCK_EX|LOCK_NB) itself and reports a holder as a sharing violation;
            // the explicit flock below also holds when DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns .NET's off.
            try { fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException e) when (e.HResult == SharingViolation) { fs = null; }
            catch (UnauthorizedAccessException)
            {
                throw new IOException(OutputFolder.IsWritable(folder) ? $"{path}: the lock file belongs to another user's run; refused"
                    : $"{folder}: the output folder is not writable by this user");
            }
            catch (DirectoryNotFoundException) { continue; } // removed by the run we waited for: create it again
            if (fs is not null && Flock(fs.SafeFileHandle, LockEx | LockNb) != 0)
            {
                fs.Dispose();
                fs = null;
            }
            if (fs is null)
            {
                if (DateTime.UtcNow >= until) throw new OutputFolderBusyException(folder, Owner(path));
                Thread.Sleep(200);
                continue;
            }
            if (!IsStillAt(fs.SafeFileHandle, path))
            {
                fs.Dispose(); // the holder before us deleted this file after we opened it: lock the new one
                if (++replaced > 100) throw new IOException($"{path}: the lock file keeps being replaced; is another program deleting it?");
                continue;
            }
            fs.SetLength(0);
            fs.Write(System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId} {Environment.MachineName} {DateTime.UtcNow:O}\n"));
            fs.Flush();
            return fs;
        }
    }

    /// <summary>True while <paramref name="path"/> still names the file open in <paramref name="handle"/> (Linux keeps
    /// the link of /proc/self/fd/N at the path, with " (deleted)" once it is unlinked).</summary>
    private static bool IsStillAt(SafeFileHandle handle, string path)
    {
        string link = $"/proc/self/fd/{handle.DangerousGetHandle()}";
        if (!File.Exists(link)) return File.Exists(path); // no /proc: keep the lock file instead of trusting deletes
        // Compared with the real path: the output folder may be reached through a link.
        return RealPath.Of(path) is { } real && new FileInfo(link).LinkTarget == real;
    }

    /// <summary>The "pid host time" line the holder wrote, read without a lock (.NET's own File.Read* would ask for
    /// a shared flock and fail while the holder has it).</summary>
    private static string? Owner(string path)
    {
        int fd = Open(path, 0 /* O_RDONLY */ | 0x80000 /* O_CLOEXEC */);
        if (fd < 0) return null;
        using var h = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[256];
        int n = RandomAccess.Read(h, buffer, 0);
        var parts = System.Text.Encoding.UTF8.GetString(buffer, 0, n).Trim().Split(' ');
        return parts.Length >= 3 ? $"pid {parts[0]} on {parts[1]}, since {parts[2]}" : null;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<OutputLock, byte> Live = new();
    private int _disposed;

    /// <summary>Releases every lock this process holds, for a process about to exit without unwinding (a second
    /// Ctrl-C): the next run would take the lock files over, but they would stay in the folders until then.</summary>
    public static void ReleaseAll()
    {
        foreach (var l in Live.Keys) l.Dispose();
    }

    /// <summary>Deletes the lock files (while still holding them) and releases the locks; once, also when the batch's
    /// end and a second Ctrl-C (<see cref="ReleaseAll"/>) come at the same time.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Live.TryRemove(this, out _);
        foreach (var (path, stream) in _held)
        {
            try { if (IsStillAt(stream.SafeFileHandle, path)) File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            stream.Dispose();
        }
        _held.Clear();
        foreach (var d in _created.OrderByDescending(d => d.Length))
        {
            try { if (Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any()) Directory.Delete(d); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        _created.Clear();
    }

    private const int LockEx = 2, LockNb = 4;
    /// <summary>.NET on Linux reports a held flock as an IOException whose HResult is the errno, EWOULDBLOCK.</summary>
    private const int SharingViolation = 11;

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int FlockFd(int fd, int operation);

    private static int Flock(SafeFileHandle h, int operation) => FlockFd((int)h.DangerousGetHandle(), operation);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    internal static string Describe(string? owner) => owner is null ? "another imagespace run" : $"another imagespace run ({owner})";
}

/// <summary>Another run is writing into this output folder.</summary>
public sealed class OutputFolderBusyException(string folder, string? owner)
    : IOException($"{folder}: {OutputLock.Describe(owner)} is writing into this folder; wait for it to finish or choose another output folder")
{
    public string Folder { get; } = folder;
}
