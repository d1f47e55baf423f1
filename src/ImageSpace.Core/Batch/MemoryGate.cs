namespace ImageSpace.Core.Batch;

/// <summary>Bounds the memory of images in flight: a worker acquires its image's estimated bytes before decoding and
/// releases them when the output is written. One image larger than the whole budget still runs, alone.</summary>
public sealed class MemoryGate(long budgetBytes)
{
    private long _inUse;
    private int _holders;
    public long Budget { get; } = budgetBytes;
    public long PeakInUse { get; private set; }

    public bool Acquire(long bytes, CancellationToken cancel)
    {
        lock (this)
        {
            while (_holders > 0 && _inUse + bytes > Budget)
            {
                if (cancel.IsCancellationRequested) return false;
                Monitor.Wait(this, 200);
            }
            _inUse += bytes; _holders++;
            PeakInUse = Math.Max(PeakInUse, _inUse);
            return true;
        }
    }

    public void Release(long bytes)
    {
        lock (this)
        {
            _inUse -= bytes; _holders--;
            Monitor.PulseAll(this);
        }
    }

    /// <summary>Half of the memory available now (MemAvailable, else the GC's view of total memory).</summary>
    public static long DefaultBudget()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:"));
            if (line is not null) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024 / 2;
        }
        catch (IOException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
    }

    /// <summary>Estimated peak bytes to decode, process and encode one image of this many pixels: three float planes,
    /// the mosaic, an interleaved encode buffer, and headroom for the encoder; the adjustments' scratch planes on top,
    /// as each operator declares them (<see cref="Operators.AdjustmentTable.ScratchPlanes"/>).</summary>
    public static long EstimateBytes(long pixels, Adjust.AdjustOptions? adjust = null)
    {
        int scratchPlanes = adjust is null ? 0 : Operators.AdjustmentTable.ScratchPlanes(adjust);
        return pixels * (26 + 4 * scratchPlanes) + (64L << 20);
    }
}
