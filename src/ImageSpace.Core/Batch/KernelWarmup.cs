using ImageSpace.Core.Export;
using ImageSpace.Core.Pipeline;
using ImageSpace.Core.Raw;

namespace ImageSpace.Core.Batch;

/// <summary>Runs the pixel kernels of a render once on a tiny synthetic mosaic, in the background, when a batch or a
/// worker starts. The kernels are written on <c>Vector&lt;T&gt;</c>, whose width is this CPU's, so ReadyToRun cannot
/// compile them ahead of time: the first image would compile them on its own thread (~0.25 s of its time, bench
/// <c>stages</c>). Started here, that happens on another core while the inputs are scanned and the first image waits
/// for the LibRaw helper to unpack its file. The reader of the helper's metadata line is warmed up first. Nothing of
/// it is kept but the compiled code; a failure here only means the first image compiles them itself.</summary>
public static class KernelWarmup
{
    private static int _started;

    /// <summary>Starts the warm-up once per process (later calls do nothing).</summary>
    /// <param name="sample">a RAW of the batch, when one is known: exiftool is started on it at once, so its start-up
    /// (~0.25 s of CPU compiling the tag tables and writer modules that file's metadata needs) falls in the seconds this
    /// process spends scanning and planning, when a core is free, instead of competing with the first images' pixels
    /// (issue 17: the first images of a 2-thread batch took ~1.3× the others). That file's own metadata then takes the
    /// result over (<see cref="OutputEncoder.StartMetadataEarly"/>), so nothing is done twice.</param>
    public static void Start(Recipe recipe, string? sample = null)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        if (sample is not null)
        {
            _ = OutputEncoder.StartMetadataEarly(sample, recipe.Export);
            EarlyUnpack.Start(sample, recipe.Decode.Demosaic == DemosaicMode.Half);
        }
        _ = Task.Factory.StartNew(() =>
        {
            try { Run(recipe); }
            catch (Exception e) when (e is not OutOfMemoryException) { } // see the summary: optional by design
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Decodes the tiny mosaic with the recipe's demosaic and encodes it in the recipe's format (without
    /// metadata) into a temporary file, removed after.</summary>
    public static void Run(Recipe recipe) => Run(recipe, Path.GetTempPath());

    /// <param name="folder">where the temporary file goes (tests give their own, so a batch's warm-up running in the same
    /// process at the same time is not taken for a leftover)</param>
    internal static void Run(Recipe recipe, string folder)
    {
        string output = Path.Combine(folder, $"imagespace-warmup-{Environment.ProcessId}-{Guid.NewGuid():N}.{recipe.Export.NormalizedFormat switch { "jpg" => "jpg", "png" => "png", "exr" => "exr", _ => "tif" }}");
        try
        {
            RawMetadataJson.WarmUp();
            using var decoded = RawDecoder.Decode(TinyMosaic(recipe.Decode.Demosaic == DemosaicMode.Half), recipe.Decode);
            OutputEncoder.Write(decoded.Image, "warm-up", output, recipe.Export with { CopyMetadata = false, Overwrite = true });
        }
        finally
        {
            try { File.Delete(output); } catch (IOException) { }
        }
    }

    /// <summary>A 64×64 RGGB mosaic of a ramp with an ordinary camera's levels and an identity colour matrix, as the
    /// LibRaw helper hands over a Bayer file (its half-size mode sends the same mosaic).</summary>
    private static UnpackedRaw TinyMosaic(bool half)
    {
        const int size = 64;
        var payload = new ushort[size * size];
        for (int i = 0; i < payload.Length; i++) payload[i] = (ushort)(512 + i * 7 % 12000);
        var meta = new RawMetadata
        {
            Make = "Image Space", Model = "warm-up", Colors = 3, Width = size, Height = size, RawWidth = size, RawHeight = size,
            Black = [512, 512, 512, 512], White = 16383, Cfa = [0, 1, 1, 2],
            CamXyz = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], PreMul = [1, 1, 1, 0], CamMul = [1, 1, 1, 0],
            Payload = "bayer", OutWidth = size, OutHeight = size, Samples = 1,
        };
        return new UnpackedRaw("warm-up", meta, payload, half, TimeSpan.Zero);
    }
}
