namespace ImageSpace.Core.Imaging;

/// <summary>Keeps freed image-sized arrays for the next image. A batch decodes thousands of same-sized frames; fresh
/// 100 MB arrays cost a page fault per 4 KB on every frame (measured: ~80 ms of a 6 MP half-size decode), reused
/// ones cost nothing. Only exact lengths are reused, and at most <see cref="MaxRetainedBytes"/> are kept, so the pool
/// never holds more than about one image's worth beyond what is in use.</summary>
public static class LargeArrayPool<T> where T : unmanaged
{
    private static readonly Dictionary<int, Stack<T[]>> Free = new();
    private static long _retainedBytes;
    private static readonly unsafe int ElementSize = sizeof(T);

    /// <summary>Bytes kept for reuse (default 768 MB: one 24 MP full decode's planes and mosaic, twice over).</summary>
    public static long MaxRetainedBytes { get; set; } = 768L << 20;
    /// <summary>Arrays below this length are left to the GC.</summary>
    public const int MinPooledLength = 1 << 18;

    public static T[] Rent(int length)
    {
        if (length >= MinPooledLength)
            lock (Free)
                if (Free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    _retainedBytes -= (long)length * ElementSize;
                    return stack.Pop();
                }
        return GC.AllocateUninitializedArray<T>(length);
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
