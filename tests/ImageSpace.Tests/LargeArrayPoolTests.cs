using ImageSpace.Core.Batch;
using ImageSpace.Core.Imaging;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Synthetic;

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

/// <summary>A batch's buffer priming guesses the sizes its first images will rent: the guess is checked against what a
/// real decode and JPEG encode take from the pool. The pools are shared with the rest of the suite (and hold up to
/// their retention limit of other tests' arrays), so these tests run alone, after emptying them.</summary>
[Collection("pool")]
public class BufferPrimingTests
{
    public BufferPrimingTests()
    {
        LargeArrayPool<ushort>.Trim();
        LargeArrayPool<float>.Trim();
        LargeArrayPool<byte>.Trim();
    }

    [SkippableFact]
    public void Priming_makes_exactly_the_arrays_a_decode_and_a_jpeg_encode_rent()
    {
        Skip.If(Environment.ProcessorCount < 2, "one core: a 1-thread batch leaves none idle, so nothing is primed");
        using var dir = new TempDir();
        const int w = 613, h = 509; // a size no other test decodes, so no other test touches these pool lengths
        const int n = w * h;
        SyntheticDng.Write(dir["a.dng"], new SceneParameters { Width = w, Height = h, PatchPitch = 40 });
        var recipe = new Recipe { Export = new ExportOptions { Format = "jpg" } };
        var item = new PlannedImage(dir["a.dng"], dir["a.jpg"], "");
        BufferPriming.Run([item, item, item], threads: 1, recipe, memoryBudget: 1L << 34);
        Assert.Equal((1, 0), LargeArrayPool<ushort>.Held(n));
        Assert.Equal((3, 0), LargeArrayPool<float>.Held(n));
        Assert.Equal((1, 0), LargeArrayPool<byte>.Held(3 * n));

        var pipeline = new ImageSpace.Core.Pipeline.Pipeline(recipe);
        using (var decoded = pipeline.Render(item.Input))
        {
            // The three planes are the primed ones; the mosaic went back to the pool after the demosaic.
            Assert.Equal(0, LargeArrayPool<float>.Held(n).free);
            Assert.Equal(1, LargeArrayPool<ushort>.Held(n).free);
            pipeline.Encode(decoded, item.Output);
        }
        Assert.True(new FileInfo(item.Output).Length > 1000);
        Assert.Equal(1, LargeArrayPool<byte>.Held(3 * n).free); // rented for the encode and returned
    }

    [Fact]
    public void A_batch_that_gives_every_core_an_image_primes_nothing()
    {
        using var dir = new TempDir();
        const int w = 617, h = 503;
        SyntheticDng.Write(dir["a.dng"], new SceneParameters { Width = w, Height = h, PatchPitch = 40 });
        var item = new PlannedImage(dir["a.dng"], dir["a.tif"], "");
        BufferPriming.Run([item, item, item], threads: Environment.ProcessorCount, new Recipe(), memoryBudget: 1L << 34);
        Assert.Equal((0, 0), LargeArrayPool<float>.Held(w * h));
        Assert.Equal((0, 0), LargeArrayPool<ushort>.Held(w * h));
    }
}

[CollectionDefinition("pool", DisableParallelization = true)]
public class PoolCollection;
