using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Raw;

/// <summary>Unpacks a batch's first RAW while the process is still scanning its inputs and resolving the plan, so the
/// first image does not wait for the LibRaw helper after that (issue 17: the helper started ~0.2 s after the first RAW
/// was known, while a core was partly idle). <see cref="RawDecoder.Unpack"/> of the same file and size takes the result
/// over; a file that changed since, or an unpack that failed, is unpacked again there (so errors read as always).
/// Only the latest start is kept; one that is replaced returns its payload to the pool.</summary>
public static class EarlyUnpack
{
    private readonly record struct Key(string FullPath, bool Half);

    /// <summary>The unpack and the file's length and time stamp when it started.</summary>
    private sealed record Unpacked(UnpackedRaw Raw, long Length, DateTime Written);

    private static readonly EarlyStart<Key, Unpacked> Started = new(u => LargeArrayPool<ushort>.Return(u.Raw.Payload));

    public static void Start(string path, bool half)
    {
        string full = Path.GetFullPath(path);
        var (length, written) = Stamp(full);
        Started.Put(new Key(full, half), Task.Factory.StartNew(() => new Unpacked(RawDecoder.UnpackNow(full, half), length, written),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>The started unpack of <paramref name="path"/> at this size, or null (none, another file, changed since,
    /// failed).</summary>
    internal static UnpackedRaw? Take(string path, bool half)
    {
        string full = Path.GetFullPath(path);
        if (Started.Take(new Key(full, half)) is not { } task) return null;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        Unpacked u;
        try { u = task.GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
        // The image's unpack stage is what it waited for, not the work done before it started.
        if (Stamp(full) == (u.Length, u.Written)) return u.Raw with { Path = path, UnpackTime = waited.Elapsed };
        LargeArrayPool<ushort>.Return(u.Raw.Payload);
        return null;
    }

    private static (long, DateTime) Stamp(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, default);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (-1, default); }
    }
}
