using ImageSpace.Core.Imaging;

namespace ImageSpace.Core.Raw;

/// <summary>Unpacks a batch's first RAW while the process is still scanning its inputs and resolving the plan, so the
/// first image does not wait for the LibRaw helper after that (issue 17: the helper started ~0.2 s after the first RAW
/// was known, while a core was partly idle). <see cref="RawDecoder.Unpack"/> of the same file and size takes the result
/// over; a file that changed since, or an unpack that failed, is unpacked again there (so errors read as always).
/// Only the latest start is kept; one that is never taken returns its payload to the pool.</summary>
public static class EarlyUnpack
{
    private sealed record Started(string FullPath, bool Half, long Length, DateTime Written, Task<UnpackedRaw> Task);

    private static readonly object Gate = new();
    private static Started? _started;

    public static void Start(string path, bool half)
    {
        string full = Path.GetFullPath(path);
        var (length, written) = Stamp(full);
        var task = System.Threading.Tasks.Task.Factory.StartNew(() => RawDecoder.UnpackNow(full, half), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Started? replaced;
        lock (Gate)
        {
            replaced = _started;
            _started = new Started(full, half, length, written, task);
        }
        if (replaced is not null) Discard(replaced);
    }

    /// <summary>The started unpack of <paramref name="path"/> at this size, or null (none, another file, changed since,
    /// failed).</summary>
    internal static UnpackedRaw? Take(string path, bool half)
    {
        Started? s;
        lock (Gate)
        {
            s = _started;
            if (s is null || s.Half != half || s.FullPath != Path.GetFullPath(path)) return null;
            _started = null;
        }
        var waited = System.Diagnostics.Stopwatch.StartNew();
        UnpackedRaw raw;
        try { raw = s.Task.GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
        // The image's unpack stage is what it waited for, not the work done before it started.
        if (Stamp(s.FullPath) == (s.Length, s.Written)) return raw with { Path = path, UnpackTime = waited.Elapsed };
        LargeArrayPool<ushort>.Return(raw.Payload);
        return null;
    }

    private static void Discard(Started s) =>
        s.Task.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) LargeArrayPool<ushort>.Return(t.Result.Payload);
            else _ = t.Exception;
        }, TaskScheduler.Default);

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
