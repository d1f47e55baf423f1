using System.Runtime.InteropServices;

namespace ImageSpace.Core.Imaging;

/// <summary>Keeps freed image-sized arrays for the next image. A batch decodes thousands of same-sized frames; fresh
/// 100 MB arrays cost a page fault per 4 KB on every frame (measured: ~80 ms of a 6 MP half-size decode), reused
/// ones cost nothing. Only exact lengths are reused, and at most <see cref="MaxRetainedBytes"/> are kept, so the pool
/// never holds more than about one image's worth beyond what is in use.
/// Fresh arrays (the first image of a process) are pre-faulted in one system call (MADV_POPULATE_WRITE) instead of
/// one page fault per 4 KB on first touch: measured 140 against 190 ms CPU per 384 MB. Transparent huge pages
/// (MADV_HUGEPAGE) were tried too: 115 ms when the kernel has free 2 MB pages, but 500 ms when it must compact
/// memory first, so they are not used.</summary>
public static class LargeArrayPool<T> where T : unmanaged
{
    private static readonly Dictionary<int, Stack<T[]>> Free = new();
    private static long _retainedBytes;
    private static readonly unsafe int ElementSize = sizeof(T);

    /// <summary>Bytes kept for reuse (default 768 MB: one 24 MP full decode's planes and mosaic, twice over).</summary>
    public static long MaxRetainedBytes { get; set; } = 768L << 20;
    /// <summary>Arrays below this length are left to the GC.</summary>
    public const int MinPooledLength = 1 << 18;

    /// <summary>Arrays of each length being allocated by <see cref="Prime"/> right now.</summary>
    private static readonly Dictionary<int, int> Priming = new();

    /// <summary>Arrays of <paramref name="length"/> free here, and being primed now.</summary>
    public static (int free, int priming) Held(int length)
    {
        lock (Free) return (Free.TryGetValue(length, out var s) ? s.Count : 0, Priming.GetValueOrDefault(length));
    }

    /// <summary>Drops every free array (to the GC): a long-running process whose image sizes changed, or a test that
    /// needs the pool empty.</summary>
    public static void Trim()
    {
        lock (Free)
        {
            Free.Clear();
            _retainedBytes = 0;
        }
    }

    public static T[] Rent(int length)
    {
        if (length >= MinPooledLength)
            lock (Free)
            {
                // An array of this length being primed is nearly ready: allocating a second one would cost the same
                // page faults again (both threads of a 2-thread batch's first images would pay them twice).
                while (Priming.GetValueOrDefault(length) > 0 && !(Free.TryGetValue(length, out var s) && s.Count > 0)) Monitor.Wait(Free);
                if (Free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    _retainedBytes -= (long)length * ElementSize;
                    return stack.Pop();
                }
            }
        return Fresh(length);
    }

    /// <summary>Allocates (pre-faulted) and pools arrays of <paramref name="length"/> until <paramref name="count"/> of
    /// them are free here, so an image that will rent them finds them ready. Meant for a thread that would otherwise
    /// idle, before a batch's first image needs its buffers (issue 17: their first touch was ~0.12 s of a 24 MP
    /// image's time). Fewer are made when the pool would hold more than its retention limit.</summary>
    public static void Prime(int length, int count)
    {
        if (length < MinPooledLength) return;
        int missing;
        lock (Free)
        {
            // Counted once: arrays rented while these are made must not be made again.
            missing = count - (Free.TryGetValue(length, out var s) ? s.Count : 0) - Priming.GetValueOrDefault(length);
            // The pool never holds more than its retention limit, primed arrays included.
            long bytes = (long)length * ElementSize;
            missing = (int)Math.Min(missing, (MaxRetainedBytes - _retainedBytes - Priming.Sum(p => (long)p.Key * ElementSize * p.Value)) / bytes);
            if (missing <= 0) return;
            Priming[length] = Priming.GetValueOrDefault(length) + missing;
        }
        int made = 0;
        try
        {
            for (; made < missing; made++)
            {
                var array = Fresh(length);
                lock (Free)
                {
                    Priming[length]--;
                    if (!Free.TryGetValue(length, out var stack)) Free[length] = stack = new Stack<T[]>();
                    stack.Push(array);
                    _retainedBytes += (long)length * ElementSize;
                    Monitor.PulseAll(Free);
                }
            }
        }
        finally
        {
            // Out of memory part way: renters waiting for the rest allocate their own (or fail) instead of waiting forever.
            if (made < missing)
                lock (Free)
                {
                    Priming[length] -= missing - made;
                    Monitor.PulseAll(Free);
                }
        }
    }

    /// <summary>Arrays from this size on are pre-faulted.</summary>
    private const long PrefaultBytes = 4 << 20;

    private static unsafe T[] Fresh(int length)
    {
        var array = GC.AllocateUninitializedArray<T>(length);
        long bytes = (long)length * ElementSize;
        if (bytes < PrefaultBytes || !OperatingSystem.IsLinux()) return array;
        // Large arrays live on the large object heap, which is not compacted: the pages stay the array's.
        fixed (T* p = array)
        {
            long start = (long)p & ~4095L, end = (long)p + bytes;
            // An error (a kernel before 5.14 has no MADV_POPULATE_WRITE) only means the pages fault in on first use.
            _ = Memory.Madvise((nint)start, (nuint)(end - start), Memory.MadvPopulateWrite);
        }
        return array;
    }

    public static void Return(T[]? array)
    {
        if (array is null || array.Length < MinPooledLength) return;
        long bytes = (long)array.Length * ElementSize;
        lock (Free)
        {
            if (_retainedBytes + bytes > MaxRetainedBytes) return;
            if (!Free.TryGetValue(array.Length, out var stack)) Free[array.Length] = stack = new Stack<T[]>();
            stack.Push(array);
            _retainedBytes += bytes;
        }
    }
}

internal static class Memory
{
    public const int MadvPopulateWrite = 23;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static extern int Madvise(nint address, nuint length, int advice);
}
