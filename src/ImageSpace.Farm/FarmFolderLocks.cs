using System.Runtime.InteropServices;
using ImageSpace.Core.Export;

namespace ImageSpace.Farm;

/// <summary>The farm's side of "one run per output folder": while a batch is unfinished the coordinator holds a shared
/// flock(2) on each of its output folders' lock file (<see cref="OutputLock.FileName"/>), so a local `process` run, which
/// wants that lock exclusively, is refused there as it would be by another local run. Shared, because the coordinator
/// holds one per batch and never writes; best effort: a folder the coordinator cannot reach (a worker's own mount) is
/// not held, nor one in the seconds between a worker making it and the coordinator's next look. Released when the batch
/// is seen finished, the lock file removed when no one else holds it.</summary>
public sealed class FarmFolderLocks : IDisposable
{
    private sealed class Batch
    {
        public required string[] Folders;
        public readonly Dictionary<string, FileStream> Held = new(StringComparer.Ordinal);
    }

    private readonly Dictionary<string, Batch> _batches = [];

    /// <summary>The batches held now.</summary>
    public string[] Batches { get { lock (_batches) return [.. _batches.Keys]; } }

    /// <summary>Takes the shared locks of <paramref name="batch"/>'s output folders that exist; those that do not
    /// (made by the workers as they write: the coordinator makes none, it may run as another user) are taken by
    /// <see cref="Refresh"/> once they appear.</summary>
    public void Hold(string batch, IEnumerable<string> folders)
    {
        lock (_batches)
        {
            if (_batches.ContainsKey(batch)) return;
            var b = new Batch { Folders = folders.Distinct(StringComparer.Ordinal).ToArray() };
            _batches[batch] = b;
            TakeExisting(b);
        }
    }

    /// <summary>Takes the locks of the held batches' folders that appeared since.</summary>
    public void Refresh()
    {
        lock (_batches) foreach (var b in _batches.Values) if (b.Held.Count < b.Folders.Length) TakeExisting(b);
    }

    private static void TakeExisting(Batch b)
    {
        if (!OperatingSystem.IsLinux()) return; // flock(2) through libc, as OutputLock
        foreach (var folder in b.Folders)
        {
            if (b.Held.ContainsKey(folder) || !Directory.Exists(folder)) continue;
            string path = Path.Combine(folder, OutputLock.FileName);
            try
            {
                if (new FileInfo(path).LinkTarget is not null) continue;
                // FileShare.ReadWrite: .NET takes flock(LOCK_SH|LOCK_NB) itself; taken again explicitly for when
                // DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns .NET's off.
                var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
                if (Flock(fs, LockSh | LockNb) != 0) { fs.Dispose(); continue; }
                b.Held[folder] = fs;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // not writable here, or a local run has it
        }
    }

    /// <summary>Lets go of <paramref name="batch"/>'s folders; a lock file no one else holds is removed.</summary>
    public void Release(string batch)
    {
        lock (_batches)
        {
            if (!_batches.Remove(batch, out var b)) return;
            foreach (var (folder, stream) in b.Held)
            {
                // Exclusive now means no other holder (another batch, a local run): the file may go.
                if (Flock(stream, LockEx | LockNb) == 0)
                    try { File.Delete(Path.Combine(folder, OutputLock.FileName)); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                stream.Dispose();
            }
        }
    }

    public void Dispose()
    {
        string[] batches;
        lock (_batches) batches = [.. _batches.Keys];
        foreach (var b in batches) Release(b);
    }

    private const int LockSh = 1, LockEx = 2, LockNb = 4;

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int FlockFd(int fd, int operation);

    private static int Flock(FileStream fs, int operation) => FlockFd((int)fs.SafeFileHandle.DangerousGetHandle(), operation);
}
