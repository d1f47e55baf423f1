using ImageSpace.Core.Imaging;

namespace ImageSpace.Tests;

/// <summary>Priming of the large-array pool (issue 17): a batch's first images find their buffers allocated, and a
/// thread that needs an array being primed takes that one instead of allocating (and page-faulting) a second.
/// Each test uses a length no other code rents, so tests running at the same time cannot disturb the counts.</summary>
public class LargeArrayPoolTests
{
    [Fact]
    public void Priming_fills_the_pool_up_to_the_count_and_rent_takes_those_arrays()
    {
        const int length = (1 << 18) + 4099;
        LargeArrayPool<float>.Prime(length, 2);
        Assert.Equal((2, 0), LargeArrayPool<float>.Held(length));
        LargeArrayPool<float>.Prime(length, 2); // already there: nothing more
        Assert.Equal((2, 0), LargeArrayPool<float>.Held(length));
        var a = LargeArrayPool<float>.Rent(length);
        var b = LargeArrayPool<float>.Rent(length);
        Assert.NotSame(a, b);
        Assert.Equal(length, a.Length);
        Assert.Equal((0, 0), LargeArrayPool<float>.Held(length));
        LargeArrayPool<float>.Prime(length, 1); // the two rented ones do not count: one more is made
        Assert.Equal((1, 0), LargeArrayPool<float>.Held(length));
        a[^1] = 1; // the arrays are usable
        // (Whether returned arrays are kept depends on the pool's retention limit, which other tests fill.)
    }

    [Fact]
    public async Task Rent_during_priming_takes_the_primed_array_instead_of_allocating_another()
    {
        // 64 M floats (256 MB) take tens of ms to pre-fault: long enough for the rent below to arrive while it runs.
        const int length = (1 << 26) + 4111;
        var priming = Task.Factory.StartNew(() => LargeArrayPool<float>.Prime(length, 1), TaskCreationOptions.LongRunning);
        while (LargeArrayPool<float>.Held(length) is (0, 0) && !priming.IsCompleted) Thread.Yield();
        var rented = LargeArrayPool<float>.Rent(length);
        await priming;
        // Had the rent allocated its own array, the primed one would still be free here.
        Assert.Equal((0, 0), LargeArrayPool<float>.Held(length));
        Assert.Equal(length, rented.Length);
    }
}
