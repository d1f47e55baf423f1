namespace ImageSpace.Core.Export;

/// <summary>Every file Image Space writes goes through here: written to a hidden temporary file in the destination
/// folder, then renamed over the final name. A crash, Ctrl-C or a full disk leaves either the old state or the
/// complete new file, never a half-written one; the rename is atomic because both names are on one file system.</summary>
public static class AtomicFile
{
    public const string TempMarker = ".imagespace-tmp-";

    public static T Write<T>(string path, Func<string, T> writeTemp)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // Hidden, unique, naming the run that writes it (so another run's sweep can tell whether its writer is alive),
        // and ending in the real extension (exiftool and encoders pick the format from it).
        string temp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(full)}{TempMarker}{RunId.Current}.{Guid.NewGuid():N}{Path.GetExtension(full)}");
        InProgress.TryAdd(temp, 0);
        try
        {
            T result = writeTemp(temp);
            if (!File.Exists(temp)) throw new IOException($"{path}: writer produced no file");
            File.Move(temp, full, overwrite: true);
            return result;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
            InProgress.TryRemove(temp, out _);
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> InProgress = new();

    /// <summary>Removes the temporary files of the writes in progress, for a process about to exit without finishing
    /// them (a second Ctrl-C): they would stay until the next run into that folder swept them. Returns how many.</summary>
    public static int AbandonInProgress()
    {
        int n = 0;
        foreach (var temp in InProgress.Keys)
        {
            try
            {
                if (!File.Exists(temp)) continue; // not created yet, or already renamed into place
                File.Delete(temp);
                n++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return n;
    }

    /// <summary>Opens a new file for writing (a temporary one from <see cref="Write{T}"/>), or replaces an existing
    /// one. A new file is opened with CreateNew because .NET's FileMode.Create truncates it to 0 bytes after opening,
    /// and ext4 answers a truncate to 0 by writing the whole file back to disk when it is closed, in the closing
    /// thread (issue 17: that thread slept in the block allocator while two 144 MB TIFFs were being written).</summary>
    public static FileStream Create(string path, FileAccess access, int bufferSize) =>
        new(path, File.Exists(path) ? FileMode.Create : FileMode.CreateNew, access, FileShare.None, bufferSize);

    public static void Write(string path, Action<string> writeTemp) => Write(path, t => { writeTemp(t); return 0; });

    public static void WriteAllText(string path, string text) => Write(path, t => File.WriteAllText(t, text));

    /// <summary>Deletes temporary files killed runs left in <paramref name="dir"/> (not recursive): only those whose
    /// writer is provably dead (<see cref="RunId.IsDead"/>), never a live run's, whoever it is.</summary>
    public static int RemoveStaleTempFiles(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(dir, $".*{TempMarker}*"))
        {
            if (!RunId.IsDead(WriterOf(f))) continue;
            try { File.Delete(f); n++; } catch (IOException) { }
        }
        return n;
    }

    /// <summary>The run id in a temporary file's name; "" for names without one (written before run ids).</summary>
    public static string WriterOf(string tempFile)
    {
        string name = Path.GetFileName(tempFile);
        int at = name.IndexOf(TempMarker, StringComparison.Ordinal);
        if (at < 0) return "";
        string rest = name[(at + TempMarker.Length)..];
        int dot = rest.IndexOf('.');
        return dot > 0 ? rest[..dot] : "";
    }

    /// <summary>Deletes what killed attempts left of this one output (its temporary files, exiftool's too). For a job
    /// that may be run again elsewhere after its first run died: only one attempt runs at a time.</summary>
    public static int RemoveStaleTempFilesOf(string path)
    {
        string full = Path.GetFullPath(path), dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(dir, $".{Path.GetFileNameWithoutExtension(full)}{TempMarker}*"))
        {
            try { File.Delete(f); n++; } catch (IOException) { }
        }
        return n;
    }

    /// <summary>True when two paths name the same file (same full path; or the same inode for links).</summary>
    public static bool SameFile(string a, string b)
    {
        string fa = Path.GetFullPath(a), fb = Path.GetFullPath(b);
        if (string.Equals(fa, fb, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            var ra = new FileInfo(fa).ResolveLinkTarget(true)?.FullName ?? fa;
            var rb = new FileInfo(fb).ResolveLinkTarget(true)?.FullName ?? fb;
            return string.Equals(ra, rb, StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
    }
}
