using ImageSpace.Core.Imaging;

namespace ImageSpace.Tests;

/// <summary>Priming of the large-array pool (issue 17): a batch's first images find their buffers allocated, and a
/// thread that needs an array being primed takes that one instead of allocating (and page-faulting) a second.
/// Each test uses an element type no production code pools (each type has a pool of its own), so tests running at the
/// same time cannot disturb the counts or the retention limit.</summary>
public class LargeArrayPoolTests
{
    [Fact]
    public void Priming_fills_the_pool_up_to_the_count_and_rent_takes_those_arrays()
    {
        const int length = (1 << 18) + 4099;
        LargeArrayPool<double>.Prime(length, 2);
        Assert.Equal((2, 0), LargeArrayPool<double>.Held(length));
        LargeArrayPool<double>.Prime(length, 2); // already there: nothing more
        Assert.Equal((2, 0), LargeArrayPool<double>.Held(length));
        var a = LargeArrayPool<double>.Rent(length);
        var b = LargeArrayPool<double>.Rent(length);
        Assert.NotSame(a, b);
        Assert.Equal(length, a.Length);
        Assert.Equal((0, 0), LargeArrayPool<double>.Held(length));
        LargeArrayPool<double>.Prime(length, 1); // the two rented ones do not count: one more is made
        Assert.Equal((1, 0), LargeArrayPool<double>.Held(length));
        a[^1] = 1; // the arrays are usable
        LargeArrayPool<double>.Return(a);
        LargeArrayPool<double>.Return(b);
        Assert.Equal(3, LargeArrayPool<double>.Held(length).free);
        foreach (var _ in Enumerable.Range(0, 3)) LargeArrayPool<double>.Rent(length); // leave the pool empty for the next test
    }

    [Fact]
    public void Priming_stops_at_the_retention_limit()
    {
        const int length = 1 << 18; // 2 MB of longs
        LargeArrayPool<long>.MaxRetainedBytes = 3L * length * sizeof(long);
        LargeArrayPool<long>.Prime(length, 5);
        Assert.Equal((3, 0), LargeArrayPool<long>.Held(length));
        LargeArrayPool<long>.Rent(length);
        LargeArrayPool<long>.Prime(length, 5); // room for one again
        Assert.Equal((3, 0), LargeArrayPool<long>.Held(length));
    }

    [Fact]
    public async Task Rent_during_priming_takes_the_primed_array_instead_of_allocating_another()
    {
        // 32 M doubles (256 MB) take tens of ms to pre-fault: long enough for the rent below to arrive while it runs.
        const int length = (1 << 25) + 4111;
        var priming = Task.Factory.StartNew(() => LargeArrayPool<double>.Prime(length, 1), TaskCreationOptions.LongRunning);
        while (LargeArrayPool<double>.Held(length) is (0, 0) && !priming.IsCompleted) Thread.Yield();
        var rented = LargeArrayPool<double>.Rent(length);
        await priming;
        // Had the rent allocated its own array, the primed one would still be free here.
        Assert.Equal((0, 0), LargeArrayPool<double>.Held(length));
        Assert.Equal(length, rented.Length);
    }
}
