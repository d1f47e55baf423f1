using ImageSpace.Core.Imaging;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Batch;

/// <summary>Allocates the image-sized buffers of a batch's first images on another thread when the batch starts, while
/// those images wait for the LibRaw helper to unpack their files: their first touch (page faults, ~0.12 s CPU for a
/// 24 MP frame's mosaic and three float planes, and a JPEG's or PNG's interleaved buffer) would otherwise be paid on
/// the first images' own threads (issue 17: the first image of a 1-thread batch took 1.25× the others). Sizes come
/// from the first RAW's metadata; a guess that does not fit a later image only leaves arrays in the pool (bounded by
/// its retention limit).</summary>
public static class BufferPriming
{
    /// <param name="memoryBudget">the batch's memory budget: no more images are primed than it lets run at once</param>
    public static void Start(IReadOnlyList<PlannedImage> items, int threads, Pipeline.Recipe recipe, long memoryBudget)
    {
        if (items.Count == 0 || recipe.Decode.Demosaic == DemosaicMode.Half || ImageLoader.IsPhoto(items[0].Input)) return;
        _ = Task.Factory.StartNew(() =>
        {
            try { Run(items, threads, recipe, memoryBudget); }
            catch (Exception) { } // optional by design: the image itself reports a file it cannot read, or allocates its own buffers
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The priming itself, on the calling thread.</summary>
    public static void Run(IReadOnlyList<PlannedImage> items, int threads, Pipeline.Recipe recipe, long memoryBudget)
    {
        // Only as many images as there are cores the batch leaves idle: when every core has an image, the images
        // would wait for this one thread's page faults instead of taking them in parallel (measured: the first two
        // JPEGs of a 2-thread batch on 2 cores took 1.61 s instead of 1.51 s).
        int idleCores = Math.Max(0, Environment.ProcessorCount - threads);
        if (idleCores == 0) return;
        var meta = RawDecoder.ReadMetadata(items[0].Input);
        // Bayer and X-Trans files arrive as a mosaic of the visible size and become three planes of that size.
        if (meta.Filters == 0 || meta.Width <= 0 || meta.Height <= 0) return;
        int n = checked(meta.Width * meta.Height);
        long perImage = MemoryGate.EstimateBytes(n);
        int images = (int)Math.Min(Math.Min(Math.Min(threads, items.Count), idleCores), Math.Max(1, memoryBudget / perImage));
        LargeArrayPool<ushort>.Prime(n, images);
        LargeArrayPool<float>.Prime(n, 3 * images);
        // JPEG and PNG are encoded from one interleaved RGB buffer (TIFF and EXR write by rows).
        var export = recipe.Export;
        if (export.NormalizedFormat is "jpg" or "png") LargeArrayPool<byte>.Prime(checked(n * 3 * export.ResolvedBitDepth / 8), images);
    }
}
